import { defineOp } from '../registry.js';
import { updateImages } from './internal/image-access.js';
import { floatValues, withValues } from './internal/intensity.js';
import { checkNum, checkRandomKeys, DEFAULT_PROB } from './internal/options.js';

/** Options of {@link randGaussianNoise}. */
export interface RandGaussianNoiseOptions {
  /** Image keys (not label maps). */
  readonly keys: readonly string[];
  /** Probability of adding noise. Default 0.1 (as MONAI's `RandGaussianNoise`). */
  readonly prob?: number;
  /** Noise mean. Default 0. */
  readonly mean?: number;
  /** Noise standard deviation (or its upper bound, see `sampleStd`). Default 0.1. */
  readonly std?: number;
  /** Draw the std uniformly from [0, std] per sample, as MONAI does. Default true. */
  readonly sampleStd?: boolean;
}

const NAME = 'image.randGaussianNoise';

/**
 * Adds Gaussian noise to image intensities with probability `prob` (MONAI's
 * `RandGaussianNoise`): one independent normal draw per voxel and component, from `ctx.rng`.
 * Reads and writes `keys`. Random. Output is float32 (float64 stays float64).
 * @example
 * randGaussianNoise({ keys: ['data.img'], prob: 0.5, std: 0.05 })
 * @throws {OptionsError} for a negative std or a bad probability.
 */
export const randGaussianNoise = defineOp<RandGaussianNoiseOptions>({
  name: NAME,
  version: 1,
  kind: 'random',
  validate: (o) => {
    checkRandomKeys(NAME, o);
    if (o.mean !== undefined) checkNum(NAME, 'mean', o.mean);
    if (o.std !== undefined) checkNum(NAME, 'std', o.std, { min: 0 });
  },
  apply: (sample, ctx, o) => {
    if (!ctx.rng.bool(o.prob ?? DEFAULT_PROB)) return sample;
    const rng = ctx.rng;
    const std = o.sampleStd === false ? (o.std ?? 0.1) : rng.uniform(0, o.std ?? 0.1);
    const mean = o.mean ?? 0;
    return updateImages(sample, o.keys, (img) => {
      const v = floatValues(img);
      for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) + rng.normal(mean, std);
      return withValues(img, v);
    });
  },
});
