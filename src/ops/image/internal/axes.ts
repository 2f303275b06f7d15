/**
 * Exact re-indexing of an image by an axis permutation with flips (reorient, flip, rotate 90).
 * Output axis i reads input axis `perm[i]`, reversed when `flip[i]`. Values are moved, never
 * interpolated, and the geometry is updated so that every voxel keeps its world position.
 */
import type { Image } from '../../../core/image.js';
import { allocate } from '../../../core/tensor.js';
import { size3, sizeOf, withData, worldOf } from './image-access.js';

/** An axis permutation with flips, in (x, y, z) axis numbers. */
export interface AxisMap {
  readonly perm: readonly number[];
  readonly flip: readonly boolean[];
}

/** The identity map on `d` axes. */
export function identityAxes(d: number): AxisMap {
  return { perm: Array.from({ length: d }, (_, i) => i), flip: new Array<boolean>(d).fill(false) };
}

/** `second` applied after `first`. */
export function composeAxes(first: AxisMap, second: AxisMap): AxisMap {
  const perm = second.perm.map((p) => first.perm[p] as number);
  const flip = second.perm.map((p, i) => (first.flip[p] as boolean) !== (second.flip[i] as boolean));
  return { perm, flip };
}

/** The map that undoes `m`. */
export function invertAxes(m: AxisMap): AxisMap {
  const perm = new Array<number>(m.perm.length);
  const flip = new Array<boolean>(m.perm.length);
  m.perm.forEach((p, i) => {
    perm[p] = i;
    flip[p] = m.flip[i] as boolean;
  });
  return { perm, flip };
}

/** True when `m` moves nothing. */
export function isIdentityAxes(m: AxisMap): boolean {
  return m.perm.every((p, i) => p === i) && m.flip.every((f) => !f);
}

/** `img` re-indexed by `m`, geometry updated so that world positions are kept. */
export function applyAxes(img: Image, m: AxisMap): Image {
  if (isIdentityAxes(m)) return img;
  const d = img.dimension;
  const inSize = sizeOf(img);
  const [nx, ny] = size3(img);
  const C = img.components;
  const strides = [C, nx * C, nx * ny * C];
  const outSize = m.perm.map((p) => inSize[p] as number);
  const steps: number[] = [];
  const start: number[] = new Array<number>(d).fill(0);
  let base = 0;
  for (let i = 0; i < d; i++) {
    const p = m.perm[i] as number;
    const stride = strides[p] as number;
    if (m.flip[i] === true) {
      base += ((inSize[p] as number) - 1) * stride;
      start[p] = (inSize[p] as number) - 1;
      steps.push(-stride);
    } else {
      steps.push(stride);
    }
  }
  const [mx, my, mz] = [outSize[0] as number, outSize[1] as number, d === 3 ? (outSize[2] as number) : 1];
  const [sx, sy, sz] = [steps[0] as number, steps[1] as number, d === 3 ? (steps[2] as number) : 0];
  const src = img.data;
  const out = allocate(img.dtype, src.length);
  let q = 0;
  for (let z = 0; z < mz; z++) {
    for (let y = 0; y < my; y++) {
      let r = base + z * sz + y * sy;
      for (let x = 0; x < mx; x++, r += sx) {
        for (let c = 0; c < C; c++) out[q++] = src[r + c] as number;
      }
    }
  }
  const direction: number[] = new Array<number>(d * d);
  for (let row = 0; row < d; row++) {
    for (let i = 0; i < d; i++) {
      const p = m.perm[i] as number;
      direction[row * d + i] = (m.flip[i] === true ? -1 : 1) * (img.direction[row * d + p] as number) + 0; // no -0
    }
  }
  const spacing = m.perm.map((p) => img.spacing[p] as number);
  return withData(img, img.dtype, out, { size: outSize, spacing, origin: worldOf(img, start), direction });
}
