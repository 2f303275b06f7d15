import { defineOp } from '../registry.js';
import { updateImages } from './internal/image-access.js';
import { floatValues, withValues } from './internal/intensity.js';
import { checkRandomKeys, checkSymmetricRange, DEFAULT_PROB, rangeOf } from './internal/options.js';

/** Options of {@link randScaleIntensity}. */
export interface RandScaleIntensityOptions {
  /** Image keys (not label maps), scaled by the same factor. */
  readonly keys: readonly string[];
  /** Probability of scaling. Default 0.1 (as MONAI's `RandScaleIntensity`). */
  readonly prob?: number;
  /** `f` is drawn from `[-r, r]` for a number r, or from `[lo, hi]`; values become `v · (1 + f)`. */
  readonly factors: number | readonly [number, number];
}

const NAME = 'image.randScaleIntensity';

/**
 * Scales image intensities by `1 + f`, f drawn once per sample (MONAI's `RandScaleIntensity`),
 * with probability `prob`. Reads and writes `keys`. Random. Output is float32 (float64 stays float64).
 * @example
 * randScaleIntensity({ keys: ['data.img'], prob: 0.5, factors: 0.1 }) // ×[0.9, 1.1]
 * @throws {OptionsError} for a bad range or probability.
 */
export const randScaleIntensity = defineOp<RandScaleIntensityOptions>({
  name: NAME,
  version: 1,
  kind: 'random',
  validate: (o) => {
    checkRandomKeys(NAME, o);
    checkSymmetricRange(NAME, 'factors', o.factors);
  },
  apply: (sample, ctx, o) => {
    if (!ctx.rng.bool(o.prob ?? DEFAULT_PROB)) return sample;
    const [lo, hi] = rangeOf(o.factors);
    const factor = 1 + ctx.rng.uniform(lo, hi);
    return updateImages(sample, o.keys, (img) => {
      const v = floatValues(img);
      for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) * factor;
      return withValues(img, v);
    });
  },
});
