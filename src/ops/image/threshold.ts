/**
 * Binarizing an image by a threshold: a label volume from intensities (e.g. a skull-stripped
 * T1 → brain mask, a probability map → a segmentation).
 */
import { allocate } from '../../core/tensor.js';
import { OptionsError } from '../../core/errors.js';
import { defineOp } from '../registry.js';
import { gridOf, updateImages, withData } from './internal/image-access.js';
import { checkKeyList, checkNum } from './internal/options.js';

/** Options of {@link threshold}. */
export interface ThresholdOptions {
  /** Image keys to binarize (each replaced by its label volume). */
  readonly keys: readonly string[];
  /** Voxels strictly above this value become `label`, the others 0. Default 0. */
  readonly above?: number;
  /** Value written for voxels above the threshold (a positive integer). Default 1. */
  readonly label?: number;
  /** Output dtype. Default `'int32'`. */
  readonly dtype?: 'int32' | 'uint8';
}

const NAME = 'image.threshold';

/**
 * Replaces each image of `keys` by `label` where its value is above `above` and 0 elsewhere,
 * keeping its geometry (spacing, origin, direction). NaN voxels become 0. Reads and writes
 * `keys`. Static.
 * @example
 * threshold({ keys: ['data.gt.mask'] }) // skull-stripped intensities → 0/1 brain mask (int32)
 * threshold({ keys: ['model.prob'], above: 0.5, dtype: 'uint8' })
 * @throws {OptionsError} for no keys, a non-finite threshold, a label that is not a positive integer or an unknown dtype.
 * @throws {TypeMismatchError} (as an OpError) when a key does not hold an image.
 */
export const threshold = defineOp<ThresholdOptions>({
  name: NAME,
  version: 1,
  kind: 'static',
  validate: (o) => {
    checkKeyList(NAME, 'keys', o.keys);
    if (o.above !== undefined) checkNum(NAME, 'above', o.above);
    if (o.label !== undefined) checkNum(NAME, 'label', o.label, { min: 1, integer: true });
    if (o.dtype !== undefined && o.dtype !== 'int32' && o.dtype !== 'uint8')
      throw new OptionsError(`op '${NAME}': 'dtype' must be 'int32' or 'uint8', got ${JSON.stringify(o.dtype)}`);
    if (o.dtype === 'uint8' && (o.label ?? 1) > 255) throw new OptionsError(`op '${NAME}': 'label' ${String(o.label)} does not fit in uint8`);
  },
  apply: (sample, _ctx, o) => {
    const above = o.above ?? 0;
    const label = o.label ?? 1;
    const dtype = o.dtype ?? 'int32';
    return updateImages(sample, o.keys, (img) => {
      const src = img.data as ArrayLike<number>;
      const out = allocate(dtype, src.length);
      for (let i = 0; i < src.length; i++) out[i] = (src[i] as number) > above ? label : 0;
      return withData(img, dtype, out, gridOf(img));
    });
  },
});
