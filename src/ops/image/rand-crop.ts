import { setKey } from '../../core/sample.js';
import { TypeMismatchError } from '../../core/errors.js';
import { defineOp } from '../registry.js';
import { copyRegion, reverseRegion, type RegionEntry } from './internal/region.js';
import { imageAt, sizeOf } from './internal/image-access.js';
import { checkKeyList, checkNum, checkPerAxis, firstKey, perAxis, type PerAxis } from './internal/options.js';
import { recordReverse } from './internal/reverse-info.js';

/** Options of {@link randCrop}. */
export interface RandCropOptions {
  /** Image keys on one grid, cut with the same box. */
  readonly keys: readonly string[];
  /** Crop size in voxels (x, y, z). An axis shorter than this is padded instead, at a random offset. */
  readonly size: PerAxis;
  /** Value of padded voxels. Default 0. */
  readonly padValue?: number;
}

const NAME = 'image.randCrop';

/**
 * Crops a box of fixed size at a uniformly random position (MONAI's `RandSpatialCrop` with a
 * fixed size): every start with the box inside the image is equally likely. The origin moves
 * so voxels keep their world position. Reads and writes `keys`; records the box under the op
 * id so `reverse` puts a prediction back into the full grid (0 elsewhere). Random.
 * @example
 * randCrop({ keys: ['data.img', 'data.seg'], size: [96, 96, 96] })
 * @throws {OptionsError} for a bad size.
 * @throws {TypeMismatchError} (as an OpError) when the keys' images differ in size.
 */
export const randCrop = defineOp<RandCropOptions>({
  name: NAME,
  version: 1,
  kind: 'random',
  validate: (o) => {
    checkKeyList(NAME, 'keys', o.keys);
    checkPerAxis(NAME, 'size', o.size, { min: 1, integer: true });
    if (o.padValue !== undefined) checkNum(NAME, 'padValue', o.padValue);
  },
  apply: (sample, ctx, o) => {
    const first = imageAt(sample, firstKey(NAME, o.keys));
    const full = sizeOf(first);
    const size = perAxis(o.size, first.dimension, 'size');
    const start = full.map((n, i) => {
      const room = n - (size[i] as number);
      return ctx.rng.int(Math.min(0, room), Math.max(0, room));
    });
    let out = sample;
    const entries: RegionEntry[] = [];
    for (const key of o.keys) {
      const img = imageAt(out, key);
      const s = sizeOf(img);
      if (s.length !== full.length || s.some((n, i) => n !== full[i]))
        throw new TypeMismatchError(`key '${key}' has size [${s.join(', ')}] but '${o.keys[0]}' has [${full.join(', ')}]`);
      entries.push({ start, size: full });
      out = setKey(out, key, copyRegion(img, start, size, o.padValue ?? 0));
    }
    return recordReverse(out, ctx.opId, { op: NAME, keys: o.keys, entries });
  },
  reverse: reverseRegion(NAME),
});
