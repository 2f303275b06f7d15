import { defineOp } from '../registry.js';
import { updateImages } from './internal/image-access.js';
import { floatValues, minMax, withValues } from './internal/intensity.js';
import { checkRandomKeys, checkRangePair, DEFAULT_PROB } from './internal/options.js';

/** Options of {@link randGamma}. */
export interface RandGammaOptions {
  /** Image keys (not label maps). */
  readonly keys: readonly string[];
  /** Probability of adjusting. Default 0.1 (as MONAI's `RandAdjustContrast`). */
  readonly prob?: number;
  /** Range γ is drawn from. Default `[0.5, 4.5]` (MONAI's default). */
  readonly gammaRange?: readonly [number, number];
}

const NAME = 'image.randGamma';

/**
 * Random gamma contrast (MONAI's `RandAdjustContrast`): with probability `prob`, draws γ and maps
 * each value to `((v - min) / (max - min + 1e-7))^γ · (max - min) + min`, so the range is kept and
 * mid-tones move. Reads and writes `keys`. Random. Output is float32 (float64 stays float64).
 * @example
 * randGamma({ keys: ['data.img'], prob: 0.3, gammaRange: [0.7, 1.5] })
 * @throws {OptionsError} for a bad range (γ must be > 0) or probability.
 */
export const randGamma = defineOp<RandGammaOptions>({
  name: NAME,
  version: 1,
  kind: 'random',
  validate: (o) => {
    checkRandomKeys(NAME, o);
    if (o.gammaRange !== undefined) checkRangePair(NAME, 'gammaRange', o.gammaRange, { above: 0 });
  },
  apply: (sample, ctx, o) => {
    if (!ctx.rng.bool(o.prob ?? DEFAULT_PROB)) return sample;
    const [lo, hi] = o.gammaRange ?? [0.5, 4.5];
    const gamma = ctx.rng.uniform(lo, hi);
    return updateImages(sample, o.keys, (img) => {
      const v = floatValues(img);
      const [min, max] = minMax(v);
      const range = max - min;
      for (let i = 0; i < v.length; i++) v[i] = Math.pow(((v[i] as number) - min) / (range + 1e-7), gamma) * range + min;
      return withValues(img, v);
    });
  },
});
