/**
 * Building the index maps of random affine transforms: rotation, scaling and shear are composed
 * in physical space (so an anisotropic voxel grid is rotated without distortion) about the
 * image centre, then expressed in voxel indices.
 */
import { invert, matMul, matVec } from './image-access.js';

/** Drawn affine parameters (radians, factors, voxels), one per axis or axis pair. */
export interface AffineParams {
  /** 2D: one angle; 3D: angles about x, y and z. */
  readonly rotate: readonly number[];
  /** Per-axis scale factors of the sampling grid (> 1 zooms out). */
  readonly scale: readonly number[];
  /** 2D: one factor (x by y); 3D: x by y, x by z, y by z. */
  readonly shear: readonly number[];
  /** Per-axis shift in voxels. */
  readonly translate: readonly number[];
}

function rotation(d: number, angles: readonly number[]): number[] {
  if (d === 2) {
    const t = angles[0] as number;
    return [Math.cos(t), -Math.sin(t), Math.sin(t), Math.cos(t)];
  }
  const [a, b, c] = angles as [number, number, number];
  const rx = [1, 0, 0, 0, Math.cos(a), -Math.sin(a), 0, Math.sin(a), Math.cos(a)];
  const ry = [Math.cos(b), 0, Math.sin(b), 0, 1, 0, -Math.sin(b), 0, Math.cos(b)];
  const rz = [Math.cos(c), -Math.sin(c), 0, Math.sin(c), Math.cos(c), 0, 0, 0, 1];
  return matMul(rz, matMul(ry, rx, 3), 3);
}

/**
 * The map from output to input voxel indices, `input = a · output + t`, for a `d`-dimensional
 * grid of `size` voxels with `spacing`: `input = c + S⁻¹·R·H·K·S·(output − c) + translate`,
 * where c is the grid centre, S = diag(spacing), R rotation, H shear, K scale.
 */
export function affineIndexMap(size: readonly number[], spacing: readonly number[], p: AffineParams): { a: number[]; t: number[] } {
  const d = size.length;
  const shear = d === 2 ? [1, p.shear[0] as number, 0, 1] : [1, p.shear[0] as number, p.shear[1] as number, 0, 1, p.shear[2] as number, 0, 0, 1];
  const scale: number[] = [];
  for (let r = 0; r < d; r++) for (let c = 0; c < d; c++) scale.push(r === c ? (p.scale[r] as number) : 0);
  const physical = matMul(rotation(d, p.rotate), matMul(shear, scale, d), d);
  const s: number[] = [];
  for (let r = 0; r < d; r++) for (let c = 0; c < d; c++) s.push(r === c ? (spacing[r] as number) : 0);
  const a = matMul(invert(s, d), matMul(physical, s, d), d);
  const centre = size.map((n) => (n - 1) / 2);
  const ac = matVec(a, centre);
  const t = centre.map((c, i) => c - (ac[i] as number) + (p.translate[i] as number));
  return { a, t };
}
