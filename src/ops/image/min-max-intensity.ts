import { OptionsError } from '../../core/errors.js';
import { defineOp } from '../registry.js';
import { updateImages } from './internal/image-access.js';
import { floatValues, minMax, withValues } from './internal/intensity.js';
import { checkKeyList, checkNum } from './internal/options.js';

/** Options of {@link minMaxIntensity}. */
export interface MinMaxIntensityOptions {
  /** Image keys, each scaled by its own minimum and maximum. */
  readonly keys: readonly string[];
  /** Value the image minimum maps to. Default 0. */
  readonly outMin?: number;
  /** Value the image maximum maps to. Default 1. */
  readonly outMax?: number;
}

const NAME = 'image.minMaxIntensity';

/**
 * Min-max normalizes image intensities: the image's minimum maps to `outMin` and its maximum to
 * `outMax`, linearly (MONAI's `ScaleIntensity`, FuseMedML's `OpNormalizeAgainstSelf`). A constant
 * image becomes `outMin` everywhere. Reads and writes `keys`. Static. Output is float32 (float64
 * stays float64).
 * @example
 * minMaxIntensity({ keys: ['data.img'], outMin: -1, outMax: 1 })
 * @throws {OptionsError} when `outMin` equals `outMax`.
 */
export const minMaxIntensity = defineOp<MinMaxIntensityOptions>({
  name: NAME,
  version: 1,
  kind: 'static',
  validate: (o) => {
    checkKeyList(NAME, 'keys', o.keys);
    if (o.outMin !== undefined) checkNum(NAME, 'outMin', o.outMin);
    if (o.outMax !== undefined) checkNum(NAME, 'outMax', o.outMax);
    if ((o.outMin ?? 0) === (o.outMax ?? 1)) throw new OptionsError(`op '${NAME}': 'outMin' and 'outMax' must differ`);
  },
  apply: (sample, _ctx, o) => {
    const outMin = o.outMin ?? 0,
      outMax = o.outMax ?? 1;
    return updateImages(sample, o.keys, (img) => {
      const v = floatValues(img);
      const [lo, hi] = minMax(v);
      const scale = hi === lo ? 0 : (outMax - outMin) / (hi - lo);
      for (let i = 0; i < v.length; i++) v[i] = outMin + ((v[i] as number) - lo) * scale;
      return withValues(img, v);
    });
  },
});
