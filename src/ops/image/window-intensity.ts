import { OptionsError } from '../../core/errors.js';
import { defineOp } from '../registry.js';
import { updateImages } from './internal/image-access.js';
import { floatValues, withValues } from './internal/intensity.js';
import { checkKeyList, checkNum } from './internal/options.js';

/** Options of {@link windowIntensity}. */
export interface WindowIntensityOptions {
  /** Image keys (CT in Hounsfield units, typically). */
  readonly keys: readonly string[];
  /** Window centre, e.g. 40 for soft tissue, -600 for lung. */
  readonly level: number;
  /** Window width (> 0), e.g. 400 for soft tissue, 1500 for lung. */
  readonly width: number;
  /** Output value at the bottom of the window. Default 0. */
  readonly outMin?: number;
  /** Output value at the top of the window. Default 1. */
  readonly outMax?: number;
}

const NAME = 'image.windowIntensity';

/**
 * Applies a CT display window: values in `[level - width/2, level + width/2]` map linearly to
 * `[outMin, outMax]`, values outside are clipped to the ends (MONAI's `ScaleIntensityRange` with
 * `clip=True`). Reads and writes `keys`. Static. Output is float32 (float64 stays float64).
 * @example
 * windowIntensity({ keys: ['data.ct'], level: 40, width: 400 }) // soft tissue: -160..240 HU → 0..1
 * @throws {OptionsError} when `width` is not positive.
 */
export const windowIntensity = defineOp<WindowIntensityOptions>({
  name: NAME,
  version: 1,
  kind: 'static',
  validate: (o) => {
    checkKeyList(NAME, 'keys', o.keys);
    checkNum(NAME, 'level', o.level);
    checkNum(NAME, 'width', o.width, { above: 0 });
    if (o.outMin !== undefined) checkNum(NAME, 'outMin', o.outMin);
    if (o.outMax !== undefined) checkNum(NAME, 'outMax', o.outMax);
    if ((o.outMin ?? 0) === (o.outMax ?? 1)) throw new OptionsError(`op '${NAME}': 'outMin' and 'outMax' must differ`);
  },
  apply: (sample, _ctx, o) => {
    const lo = o.level - o.width / 2;
    const outMin = o.outMin ?? 0,
      outMax = o.outMax ?? 1;
    const scale = (outMax - outMin) / o.width;
    return updateImages(sample, o.keys, (img) => {
      const v = floatValues(img);
      for (let i = 0; i < v.length; i++) {
        const t = ((v[i] as number) - lo) * scale;
        const u = t < 0 ? 0 : t > outMax - outMin ? outMax - outMin : t;
        v[i] = outMin + u;
      }
      return withValues(img, v);
    });
  },
});
