import { setKey } from '../../core/sample.js';
import { OptionsError } from '../../core/errors.js';
import { defineOp } from '../registry.js';
import { copyRegion, reverseRegion, type RegionEntry } from './internal/region.js';
import { imageAt, sizeOf } from './internal/image-access.js';
import { checkKeyList, checkNum, checkPerAxis, perAxis, type PerAxis } from './internal/options.js';
import { recordReverse } from './internal/reverse-info.js';

/** Options of {@link cropOrPad}. */
export interface CropOrPadOptions {
  /** Image keys, all cut with the same box. */
  readonly keys: readonly string[];
  /** Output size in voxels (x, y, z), one number for every axis or one per axis. */
  readonly size: PerAxis;
  /**
   * Voxel index (x, y, z) the box is centred on. Default: the image centre. The box starts at
   * `center - floor(size / 2)`.
   */
  readonly center?: readonly number[];
  /** Value of padded voxels. Default 0. */
  readonly padValue?: number;
}

export type { RegionEntry } from './internal/region.js';

const NAME = 'image.cropOrPad';

/** The box start for `center` (or the image centre) and output `size`. */
export function boxStart(inSize: readonly number[], size: readonly number[], center?: readonly number[]): number[] {
  return size.map((m, i) => (center === undefined ? Math.floor(((inSize[i] as number) - m) / 2) : Math.round(center[i] as number) - Math.floor(m / 2)));
}

/**
 * Crops or pads images to a fixed size: centred, or centred on a voxel index. Axes longer than
 * `size` are cropped, shorter ones padded with `padValue`, in one move; the origin is updated so
 * voxels keep their world position. Reads and writes `keys`; records the box under the op id so
 * `reverse` restores the original shape (voxels cropped away come back as 0). Static.
 * @example
 * cropOrPad({ keys: ['data.img', 'data.seg'], size: [96, 96, 64] })
 * @throws {OptionsError} for a bad size or centre.
 * @throws {TypeMismatchError} (as an OpError) when a key holds no image or the size list does not
 *   match its dimension.
 */
export const cropOrPad = defineOp<CropOrPadOptions>({
  name: NAME,
  version: 1,
  kind: 'static',
  validate: (o) => {
    checkKeyList(NAME, 'keys', o.keys);
    checkPerAxis(NAME, 'size', o.size, { min: 1, integer: true });
    if (o.center !== undefined) {
      if (!Array.isArray(o.center) || o.center.length < 2 || o.center.length > 3) throw new OptionsError(`op '${NAME}': option 'center' must be a voxel index (x, y[, z])`);
      o.center.forEach((c, i) => checkNum(NAME, `center[${i}]`, c));
    }
    if (o.padValue !== undefined) checkNum(NAME, 'padValue', o.padValue);
  },
  apply: (sample, ctx, o) => {
    let out = sample;
    const entries: RegionEntry[] = [];
    for (const key of o.keys) {
      const img = imageAt(out, key);
      const inSize = sizeOf(img);
      const size = perAxis(o.size, img.dimension, 'size');
      const center = o.center === undefined ? undefined : perAxis(o.center, img.dimension, 'center');
      const start = boxStart(inSize, size, center);
      entries.push({ start, size: inSize });
      out = setKey(out, key, copyRegion(img, start, size, o.padValue ?? 0));
    }
    return recordReverse(out, ctx.opId, { op: NAME, keys: o.keys, entries });
  },
  reverse: reverseRegion(NAME),
});
