/**
 * Reading images out of samples for the image ops, and the small pieces of geometry they share.
 * Internally every image is handled as 3D: a 2D image is a volume with one slice, so each
 * kernel has one loop nest.
 */
import { TypeMismatchError } from '../../../core/errors.js';
import { isImage, type Image } from '../../../core/image.js';
import { getKey, sampleIdOf, setKey, type Sample } from '../../../core/sample.js';
import type { DType } from '../../../core/tensor.js';

/**
 * The image at `key`.
 * @throws {MissingKeyError} when the key is absent; {@link TypeMismatchError} when it holds no
 *   2D or 3D Image.
 */
export function imageAt(sample: Sample, key: string): Image {
  const value = getKey(sample, key);
  if (!isImage(value)) {
    throw new TypeMismatchError(`key '${key}' in sample '${sampleIdOf(sample)}' holds no Image (got ${describe(value)})`);
  }
  if (value.dimension !== 2 && value.dimension !== 3) {
    throw new TypeMismatchError(`key '${key}' in sample '${sampleIdOf(sample)}' holds a ${value.dimension}D image; image ops take 2D or 3D`);
  }
  return value;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  if (typeof value === 'object' && 'shape' in value) return 'a tensor without geometry';
  return typeof value;
}

/** Spatial size in (x, y, z) order, padded to 3 axes with 1. */
export function size3(img: Image): [number, number, number] {
  const s = img.components > 1 ? img.shape.slice(0, -1) : img.shape;
  const d = img.dimension;
  const x = s[d - 1] as number;
  const y = s[d - 2] as number;
  const z = d === 3 ? (s[0] as number) : 1;
  return [x, y, z];
}

/** Spatial size in (x, y, z) order (`dimension` entries). */
export function sizeOf(img: Image): number[] {
  return size3(img).slice(0, img.dimension);
}

/** True for dtypes whose values are whole numbers (label maps, raw scanner data). */
export function isIntegral(dtype: DType): boolean {
  return dtype !== 'float32' && dtype !== 'float64';
}

/** The dtype interpolated output takes: float64 stays float64, everything else becomes float32. */
export function floatDtype(dtype: DType): 'float32' | 'float64' {
  return dtype === 'float64' ? 'float64' : 'float32';
}

/** The tensor shape of an image with spatial `size` (x, y, z order) and `components`. */
export function shapeFor(size: readonly number[], components: number): number[] {
  const shape = [...size].reverse();
  if (components > 1) shape.push(components);
  return shape;
}

/** The voxel-to-world matrix `D · diag(spacing)` (row-major, d×d). */
export function indexToWorldMatrix(direction: readonly number[], spacing: readonly number[]): number[] {
  const d = spacing.length;
  const m: number[] = [];
  for (let r = 0; r < d; r++) for (let c = 0; c < d; c++) m.push((direction[r * d + c] as number) * (spacing[c] as number));
  return m;
}

/** `m · v` for a row-major d×d matrix. */
export function matVec(m: readonly number[], v: readonly number[]): number[] {
  const d = v.length;
  const out: number[] = [];
  for (let r = 0; r < d; r++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += (m[r * d + c] as number) * (v[c] as number);
    out.push(s);
  }
  return out;
}

/** `a · b` for row-major d×d matrices. */
export function matMul(a: readonly number[], b: readonly number[], d: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < d; r++) {
    for (let c = 0; c < d; c++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += (a[r * d + k] as number) * (b[k * d + c] as number);
      out.push(s);
    }
  }
  return out;
}

/**
 * Inverse of a row-major 2×2 or 3×3 matrix.
 * @throws {TypeMismatchError} when the matrix is singular.
 */
export function invert(m: readonly number[], d: number): number[] {
  const g = (i: number): number => m[i] as number;
  if (d === 2) {
    const det = g(0) * g(3) - g(1) * g(2);
    if (Math.abs(det) < 1e-12) throw new TypeMismatchError('singular 2×2 geometry matrix');
    return [g(3) / det, -g(1) / det, -g(2) / det, g(0) / det];
  }
  const c00 = g(4) * g(8) - g(5) * g(7);
  const c01 = g(5) * g(6) - g(3) * g(8);
  const c02 = g(3) * g(7) - g(4) * g(6);
  const det = g(0) * c00 + g(1) * c01 + g(2) * c02;
  if (Math.abs(det) < 1e-12) throw new TypeMismatchError('singular 3×3 geometry matrix');
  return [
    c00 / det,
    (g(2) * g(7) - g(1) * g(8)) / det,
    (g(1) * g(5) - g(2) * g(4)) / det,
    c01 / det,
    (g(0) * g(8) - g(2) * g(6)) / det,
    (g(2) * g(3) - g(0) * g(5)) / det,
    c02 / det,
    (g(1) * g(6) - g(0) * g(7)) / det,
    (g(0) * g(4) - g(1) * g(3)) / det,
  ];
}

/** World position of continuous index `index` (x, y, z order). */
export function worldOf(img: Pick<Image, 'origin' | 'spacing' | 'direction'>, index: readonly number[]): number[] {
  const w = matVec(indexToWorldMatrix(img.direction, img.spacing), index);
  return w.map((v, i) => v + (img.origin[i] as number));
}

/** Grid geometry without data: what reverse information records about an image. */
export interface GridRecord {
  readonly size: readonly number[];
  readonly spacing: readonly number[];
  readonly origin: readonly number[];
  readonly direction: readonly number[];
}

/** The grid of an image. */
export function gridOf(img: Image): GridRecord {
  return { size: sizeOf(img), spacing: [...img.spacing], origin: [...img.origin], direction: [...img.direction] };
}

/** A new image with `data`, spatial `size` and the given geometry (components and dimension kept). */
export function withData<D extends DType>(img: Image, dtype: D, data: Image<D>['data'], grid: GridRecord): Image<D> {
  return {
    dtype,
    shape: shapeFor(grid.size, img.components),
    data,
    dimension: img.dimension,
    components: img.components,
    spacing: [...grid.spacing],
    origin: [...grid.origin],
    direction: [...grid.direction],
  };
}

/** A new sample with the image at each of `keys` replaced by `fn(image, key, i)`. */
export function updateImages(sample: Sample, keys: readonly string[], fn: (img: Image, key: string, i: number) => Image): Sample {
  let out = sample;
  keys.forEach((key, i) => {
    out = setKey(out, key, fn(imageAt(out, key), key, i));
  });
  return out;
}
