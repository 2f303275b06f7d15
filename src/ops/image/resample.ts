import { OptionsError } from '../../core/errors.js';
import type { Image } from '../../core/image.js';
import { setKey } from '../../core/sample.js';
import { defineOp } from '../registry.js';
import { gridOf, imageAt, isIntegral, sizeOf, worldOf, type GridRecord } from './internal/image-access.js';
import { checkInterpolation, checkKeyList, checkPerAxis, interpolationAt, perAxis, type Interpolation, type PerAxis } from './internal/options.js';
import { recordReverse, reverseWith } from './internal/reverse-info.js';
import { mapBetween, resampleImage } from './internal/sampler.js';

/** Options of {@link resample}. Give exactly one of `spacing` and `size`. */
export interface ResampleOptions {
  /** Image keys, resampled with one target rule each (an image and its label map land on the same grid). */
  readonly keys: readonly string[];
  /** Target voxel size in mm: one number for every axis or one per axis (x, y, z). */
  readonly spacing?: PerAxis;
  /** Target size in voxels (x, y, z); the physical extent (edge to edge) is kept. */
  readonly size?: PerAxis;
  /** `'linear'` (default) or `'nearest'` (label maps), one for all keys or one per key. */
  readonly interpolation?: Interpolation | readonly Interpolation[];
}

const NAME = 'image.resample';

/** The grid an image is resampled onto. */
export function resampledGrid(img: Image, options: Pick<ResampleOptions, 'spacing' | 'size'>): GridRecord {
  const d = img.dimension;
  const n = sizeOf(img);
  if (options.spacing !== undefined) {
    const spacing = perAxis(options.spacing, d, 'spacing');
    const size = n.map((v, i) => Math.max(1, Math.round((v * (img.spacing[i] as number)) / (spacing[i] as number))));
    return { size, spacing, origin: [...img.origin], direction: [...img.direction] };
  }
  const size = perAxis(options.size as PerAxis, d, 'size');
  const spacing = size.map((m, i) => ((img.spacing[i] as number) * (n[i] as number)) / m);
  // Keep the outer edges: the first voxel centre moves by half the change in voxel size.
  const origin = worldOf(
    img,
    size.map((m, i) => ((n[i] as number) / m - 1) / 2),
  );
  return { size, spacing, origin, direction: [...img.direction] };
}

/** `img` resampled onto `grid` (a grid in the same world space). */
export function resampleOnto(img: Image, grid: GridRecord, interpolation: Interpolation): Image {
  return resampleImage(img, grid, mapBetween(gridOf(img), grid), { interpolation, padding: 'border', padValue: 0 });
}

/**
 * Resamples images to a voxel spacing or a size, keeping direction and world position:
 * trilinear (bilinear in 2D) for images, nearest for label maps, which so keep exactly their
 * label values. Points past the last voxel centre read the edge voxel. Reads and writes `keys`;
 * records each key's original grid under the op id so `reverse` maps a prediction made on the
 * resampled grid back to the original one (nearest for integer dtypes, linear otherwise).
 * Static. Linear output is float32 (float64 stays float64); nearest keeps the dtype.
 *
 * Spacing mode keeps the first voxel centre and rounds the size (181 voxels of 1 mm become
 * 121 of 1.5 mm); size mode keeps the outer edges, as MONAI's `Resize` does.
 * @example
 * resample({ keys: ['data.img', 'data.seg'], spacing: 1.5, interpolation: ['linear', 'nearest'] })
 * @throws {OptionsError} unless exactly one of `spacing` / `size` is given, positive.
 * @throws {TypeMismatchError} (as an OpError) when a key holds no image or a per-axis list does
 *   not match its dimension.
 */
export const resample = defineOp<ResampleOptions>({
  name: NAME,
  version: 1,
  kind: 'static',
  validate: (o) => {
    checkKeyList(NAME, 'keys', o.keys);
    if ((o.spacing === undefined) === (o.size === undefined)) throw new OptionsError(`op '${NAME}': give exactly one of 'spacing' and 'size'`);
    if (o.spacing !== undefined) checkPerAxis(NAME, 'spacing', o.spacing, { above: 0 });
    if (o.size !== undefined) checkPerAxis(NAME, 'size', o.size, { min: 1, integer: true });
    checkInterpolation(NAME, o.interpolation, o.keys.length);
  },
  apply: (sample, ctx, o) => {
    let out = sample;
    const entries: GridRecord[] = [];
    o.keys.forEach((key, i) => {
      const img = imageAt(out, key);
      entries.push(gridOf(img));
      out = setKey(out, key, resampleOnto(img, resampledGrid(img, o), interpolationAt(o.interpolation, i)));
    });
    return recordReverse(out, ctx.opId, { op: NAME, keys: o.keys, entries });
  },
  reverse: (sample, info) => reverseWith<GridRecord>(sample, info, NAME, (img, grid) => resampleOnto(img, grid, isIntegral(img.dtype) ? 'nearest' : 'linear')),
});
