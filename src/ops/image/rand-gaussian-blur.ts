import { defineOp } from '../registry.js';
import { gaussianSmooth } from './internal/gaussian.js';
import { updateImages } from './internal/image-access.js';
import { floatValues, withValues } from './internal/intensity.js';
import { checkRandomKeys, checkRangePair, DEFAULT_PROB } from './internal/options.js';

/** Options of {@link randGaussianBlur}. */
export interface RandGaussianBlurOptions {
  /** Image keys (not label maps), blurred with the same σ. */
  readonly keys: readonly string[];
  /** Probability of blurring. Default 0.1 (as MONAI's `RandGaussianSmooth`). */
  readonly prob?: number;
  /** Range of σ in voxels; one σ is drawn per spatial axis. Default `[0.25, 1.5]`. */
  readonly sigmaRange?: readonly [number, number];
}

const NAME = 'image.randGaussianBlur';

/**
 * Blurs images with a separable Gaussian (truncated at 3σ, normalised, edge voxels repeated)
 * whose per-axis σ is drawn from `sigmaRange`, with probability `prob` (MONAI's
 * `RandGaussianSmooth`). Reads and writes `keys`. Random. Output is float32 (float64 stays float64).
 * @example
 * randGaussianBlur({ keys: ['data.img'], prob: 0.2, sigmaRange: [0.5, 1.0] })
 * @throws {OptionsError} for a bad range or probability.
 */
export const randGaussianBlur = defineOp<RandGaussianBlurOptions>({
  name: NAME,
  version: 1,
  kind: 'random',
  validate: (o) => {
    checkRandomKeys(NAME, o);
    if (o.sigmaRange !== undefined) checkRangePair(NAME, 'sigmaRange', o.sigmaRange, { min: 0 });
  },
  apply: (sample, ctx, o) => {
    if (!ctx.rng.bool(o.prob ?? DEFAULT_PROB)) return sample;
    const [lo, hi] = o.sigmaRange ?? [0.25, 1.5];
    const sigmas = [ctx.rng.uniform(lo, hi), ctx.rng.uniform(lo, hi), ctx.rng.uniform(lo, hi)];
    return updateImages(sample, o.keys, (img) => {
      const v = floatValues(img);
      gaussianSmooth(img, v, sigmas);
      return withValues(img, v);
    });
  },
});
