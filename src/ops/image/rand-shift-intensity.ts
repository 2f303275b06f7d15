import { defineOp } from '../registry.js';
import { updateImages } from './internal/image-access.js';
import { floatValues, withValues } from './internal/intensity.js';
import { checkRandomKeys, checkSymmetricRange, DEFAULT_PROB, rangeOf } from './internal/options.js';

/** Options of {@link randShiftIntensity}. */
export interface RandShiftIntensityOptions {
  /** Image keys (not label maps), shifted by the same offset. */
  readonly keys: readonly string[];
  /** Probability of shifting. Default 0.1 (as MONAI's `RandShiftIntensity`). */
  readonly prob?: number;
  /** The offset is drawn from `[-r, r]` for a number r, or from `[lo, hi]`. */
  readonly offsets: number | readonly [number, number];
}

const NAME = 'image.randShiftIntensity';

/**
 * Adds an offset drawn once per sample to image intensities (MONAI's `RandShiftIntensity`),
 * with probability `prob`. Reads and writes `keys`. Random. Output is float32 (float64 stays float64).
 * @example
 * randShiftIntensity({ keys: ['data.img'], prob: 0.5, offsets: 0.1 })
 * @throws {OptionsError} for a bad range or probability.
 */
export const randShiftIntensity = defineOp<RandShiftIntensityOptions>({
  name: NAME,
  version: 1,
  kind: 'random',
  validate: (o) => {
    checkRandomKeys(NAME, o);
    checkSymmetricRange(NAME, 'offsets', o.offsets);
  },
  apply: (sample, ctx, o) => {
    if (!ctx.rng.bool(o.prob ?? DEFAULT_PROB)) return sample;
    const [lo, hi] = rangeOf(o.offsets);
    const offset = ctx.rng.uniform(lo, hi);
    return updateImages(sample, o.keys, (img) => {
      const v = floatValues(img);
      for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) + offset;
      return withValues(img, v);
    });
  },
});
