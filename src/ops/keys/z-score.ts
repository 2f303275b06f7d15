import { getKey, setKey } from '../../core/sample.js';
import { OptionsError } from '../../core/errors.js';
import { defineOp } from '../registry.js';
import { checkKey } from '../validate.js';
import { mapNumeric } from '../values.js';

/** Options of {@link zScore}. */
export interface ZScoreOptions {
  /** Key of a number, number array or tensor. */
  readonly key: string;
  /** Default `key`. */
  readonly outKey?: string;
  readonly mean: number;
  /** Must be > 0. */
  readonly std: number;
}

/**
 * `(x - mean) / std` with fixed statistics (FuseMedML's OpZScoreNorm); tensors become float32.
 * For per-image statistics use the imaging `zScoreImage` op. Reads `key`, writes `outKey`. Static.
 * @example zScore({ key: 'data.age', mean: 61.2, std: 11.5 })
 * @throws {OptionsError} when `std` is not positive; {@link TypeMismatchError} (as an OpError) for non-numeric values.
 */
export const zScore = defineOp<ZScoreOptions>({
  name: 'keys.zScore',
  version: 1,
  kind: 'static',
  validate: (o) => {
    checkKey('keys.zScore', 'key', o.key);
    if (typeof o.mean !== 'number' || !Number.isFinite(o.mean)) throw new OptionsError(`op 'keys.zScore': option 'mean' must be a finite number, got ${JSON.stringify(o.mean)}`);
    if (typeof o.std !== 'number' || !(o.std > 0) || !Number.isFinite(o.std))
      throw new OptionsError(`op 'keys.zScore': option 'std' must be a positive number, got ${JSON.stringify(o.std)}`);
  },
  apply: (sample, _ctx, o) => {
    const { mean, std } = o;
    return setKey(
      sample,
      o.outKey ?? o.key,
      mapNumeric(getKey(sample, o.key), o.key, (x) => (x - mean) / std),
    );
  },
});
