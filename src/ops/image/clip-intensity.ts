import { OptionsError } from '../../core/errors.js';
import type { Image } from '../../core/image.js';
import { allocate } from '../../core/tensor.js';
import { defineOp } from '../registry.js';
import { isIntegral, updateImages } from './internal/image-access.js';
import { checkKeyList, checkNum } from './internal/options.js';

/** Options of {@link clipIntensity}. Give `min`, `max` or both. */
export interface ClipIntensityOptions {
  /** Image keys. */
  readonly keys: readonly string[];
  /** Values below become `min`. Default: no lower bound. */
  readonly min?: number;
  /** Values above become `max`. Default: no upper bound. */
  readonly max?: number;
}

const NAME = 'image.clipIntensity';

/** `img` with values limited to [lo, hi]; integer images keep their dtype when both bounds are whole numbers. */
export function clipImage(img: Image, lo: number, hi: number): Image {
  const keepDtype = isIntegral(img.dtype) && (Number.isInteger(lo) || lo === -Infinity) && (Number.isInteger(hi) || hi === Infinity);
  const dtype = keepDtype ? img.dtype : img.dtype === 'float64' ? 'float64' : 'float32';
  const src = img.data;
  const out = allocate(dtype, src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i] as number;
    out[i] = v < lo ? lo : v > hi ? hi : v;
  }
  return { ...img, dtype, shape: [...img.shape], data: out };
}

/**
 * Clips image intensities to `[min, max]` (FuseMedML's `OpClip`, MONAI's `ClipIntensityPercentiles`
 * with fixed bounds). Reads and writes `keys`. Static. Integer images keep their dtype when the
 * bounds are whole numbers; otherwise the output is float32 (float64 stays float64). NaN stays NaN.
 * @example
 * clipIntensity({ keys: ['data.ct'], min: -1000, max: 400 })
 * @throws {OptionsError} when neither bound is given or `min > max`.
 */
export const clipIntensity = defineOp<ClipIntensityOptions>({
  name: NAME,
  version: 1,
  kind: 'static',
  validate: (o) => {
    checkKeyList(NAME, 'keys', o.keys);
    if (o.min === undefined && o.max === undefined) throw new OptionsError(`op '${NAME}': give 'min', 'max' or both`);
    if (o.min !== undefined) checkNum(NAME, 'min', o.min);
    if (o.max !== undefined) checkNum(NAME, 'max', o.max);
    if (o.min !== undefined && o.max !== undefined && o.min > o.max) throw new OptionsError(`op '${NAME}': 'min' (${o.min}) is above 'max' (${o.max})`);
  },
  apply: (sample, _ctx, o) => updateImages(sample, o.keys, (img) => clipImage(img, o.min ?? -Infinity, o.max ?? Infinity)),
});
