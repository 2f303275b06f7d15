import { OptionsError } from '../../core/errors.js';
import { defineOp } from '../registry.js';
import { imageAt, updateImages } from './internal/image-access.js';
import { checkMask, floatValues, withValues } from './internal/intensity.js';
import { checkKeyList, checkKeyPath, checkNum } from './internal/options.js';

/** Options of {@link normalizeIntensityPerMask}. */
export interface NormalizeIntensityPerMaskOptions {
  /** Image keys. */
  readonly keys: readonly string[];
  /** Key of a label map on the same grid: each label is one region. */
  readonly maskKey: string;
  /** Labels normalized separately. Default: every non-zero label present in the mask. */
  readonly labels?: readonly number[];
  /** What voxels outside the listed labels get: `'keep'` their value or `'zero'`. Default `'keep'`. */
  readonly outside?: 'keep' | 'zero';
}

const NAME = 'image.normalizeIntensityPerMask';

/** The distinct non-zero values of a label map, sorted. */
function labelsIn(m: ArrayLike<number>): number[] {
  const seen = new Set<number>();
  for (let i = 0; i < m.length; i++) if (m[i] !== 0) seen.add(m[i] as number);
  return [...seen].sort((a, b) => a - b);
}

/**
 * Z-scores intensities region by region: the voxels of each label of a label map are normalized
 * with that label's own mean and population std (a zero std counts as 1), e.g. per tissue class
 * or per organ, so regions with different scanner gain become comparable. Reads `keys` and
 * `maskKey`, writes `keys`. Static. Output is float32 (float64 stays float64).
 * @example
 * normalizeIntensityPerMask({ keys: ['data.t1'], maskKey: 'data.tissue', labels: [1, 2, 3] })
 * @throws {OptionsError} for bad labels or `outside`.
 * @throws {TypeMismatchError} (as an OpError) when the mask's grid differs from the image's.
 */
export const normalizeIntensityPerMask = defineOp<NormalizeIntensityPerMaskOptions>({
  name: NAME,
  version: 1,
  kind: 'static',
  validate: (o) => {
    checkKeyList(NAME, 'keys', o.keys);
    checkKeyPath(NAME, 'maskKey', o.maskKey);
    if (o.labels !== undefined) {
      if (!Array.isArray(o.labels) || o.labels.length === 0) throw new OptionsError(`op '${NAME}': option 'labels' must be a non-empty list of numbers`);
      o.labels.forEach((l, i) => checkNum(NAME, `labels[${i}]`, l));
    }
    if (o.outside !== undefined && o.outside !== 'keep' && o.outside !== 'zero') throw new OptionsError(`op '${NAME}': option 'outside' must be 'keep' or 'zero'`);
  },
  apply: (sample, _ctx, o) => {
    const mask = imageAt(sample, o.maskKey);
    const m = mask.data;
    const labels = o.labels ?? labelsIn(m);
    const slot = new Map<number, number>(labels.map((l, i) => [l, i]));
    return updateImages(sample, o.keys, (img, key) => {
      checkMask(img, mask, key, o.maskKey);
      const v = floatValues(img);
      const C = img.components;
      const n = new Float64Array(labels.length),
        sum = new Float64Array(labels.length),
        ss = new Float64Array(labels.length);
      for (let i = 0; i < v.length; i++) {
        const s = slot.get(m[Math.floor(i / C)] as number);
        if (s === undefined) continue;
        n[s] = (n[s] as number) + 1;
        sum[s] = (sum[s] as number) + (v[i] as number);
      }
      const mean = Array.from(sum, (x, s) => ((n[s] as number) === 0 ? 0 : x / (n[s] as number)));
      for (let i = 0; i < v.length; i++) {
        const s = slot.get(m[Math.floor(i / C)] as number);
        if (s === undefined) continue;
        const e = (v[i] as number) - (mean[s] as number);
        ss[s] = (ss[s] as number) + e * e;
      }
      const scale = Array.from(ss, (x, s) => {
        const std = (n[s] as number) === 0 ? 0 : Math.sqrt(x / (n[s] as number));
        return std === 0 ? 1 : 1 / std;
      });
      for (let i = 0; i < v.length; i++) {
        const s = slot.get(m[Math.floor(i / C)] as number);
        if (s === undefined) {
          if (o.outside === 'zero') v[i] = 0;
          continue;
        }
        v[i] = ((v[i] as number) - (mean[s] as number)) * (scale[s] as number);
      }
      return withValues(img, v);
    });
  },
});
