/**
 * Shared pieces of the intensity ops: a float copy of an image's values, statistics over a
 * (masked) image, and rebuilding an image around new values with its geometry kept.
 */
import { TypeMismatchError } from '../../../core/errors.js';
import type { Image } from '../../../core/image.js';
import { floatDtype, sizeOf } from './image-access.js';

/** Values of a float image: float32 unless the input was float64. */
export type FloatData = Float32Array | Float64Array;

/** A float copy of the image's values (float64 images stay float64). */
export function floatValues(img: Image): FloatData {
  return floatDtype(img.dtype) === 'float64' ? Float64Array.from(img.data) : Float32Array.from(img.data);
}

/** The image with `data` as its values (a float dtype) and the same geometry. */
export function withValues(img: Image, data: FloatData): Image {
  return { ...img, dtype: data instanceof Float64Array ? 'float64' : 'float32', shape: [...img.shape], data };
}

/**
 * Checks that `mask` can select voxels of `img`: same spatial size, one component.
 * @throws {TypeMismatchError} naming both keys when the grids differ.
 */
export function checkMask(img: Image, mask: Image, key: string, maskKey: string): void {
  const a = sizeOf(img),
    b = sizeOf(mask);
  if (a.length !== b.length || a.some((n, i) => n !== b[i]) || mask.components !== 1) {
    throw new TypeMismatchError(`mask '${maskKey}' (size [${b.join(', ')}], ${mask.components} components) does not match image '${key}' (size [${a.join(', ')}])`);
  }
}

/** Mean and population standard deviation over the voxels where `select(i)` holds (per voxel, all components). */
export function meanStd(data: ArrayLike<number>, components: number, select?: (voxel: number) => boolean): { mean: number; std: number; count: number } {
  let n = 0,
    sum = 0;
  const voxels = data.length / components;
  for (let v = 0; v < voxels; v++) {
    if (select !== undefined && !select(v)) continue;
    for (let c = 0; c < components; c++) {
      sum += data[v * components + c] as number;
      n++;
    }
  }
  const mean = n === 0 ? 0 : sum / n;
  let ss = 0;
  for (let v = 0; v < voxels; v++) {
    if (select !== undefined && !select(v)) continue;
    for (let c = 0; c < components; c++) {
      const e = (data[v * components + c] as number) - mean;
      ss += e * e;
    }
  }
  return { mean, std: n === 0 ? 0 : Math.sqrt(ss / n), count: n };
}

/** Smallest and largest value (NaN ignored); `[0, 0]` for an empty or all-NaN image. */
export function minMax(data: ArrayLike<number>): [number, number] {
  let lo = Infinity,
    hi = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo > hi ? [0, 0] : [lo, hi];
}
