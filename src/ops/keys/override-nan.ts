import { getKey, setKey } from '../../core/sample.js';
import { defineOp } from '../registry.js';
import { checkKey, checkNumber } from '../validate.js';
import { mapNumeric } from '../values.js';

/** Options of {@link overrideNaN}. */
export interface OverrideNaNOptions {
  readonly key: string;
  /** Value written in place of NaN. */
  readonly value: number;
}

/**
 * Replaces NaN by `value` in a number, number array or float tensor (FuseMedML's
 * OpOverrideNaN, extended from scalars to arrays). Reads/writes `key`. Static.
 * @example overrideNaN({ key: 'data.age', value: -1 })
 * @throws {TypeMismatchError} (as an OpError) for a non-numeric value.
 */
export const overrideNaN = defineOp<OverrideNaNOptions>({
  name: 'keys.overrideNaN',
  version: 1,
  kind: 'static',
  validate: (o) => {
    checkKey('keys.overrideNaN', 'key', o.key);
    checkNumber('keys.overrideNaN', 'value', o.value);
  },
  apply: (sample, _ctx, o) => {
    const value = getKey(sample, o.key);
    if (typeof value === 'number') return Number.isNaN(value) ? setKey(sample, o.key, o.value) : sample;
    const dtype = typeof value === 'object' && value !== null && 'dtype' in value && (value as { dtype: string }).dtype === 'float64' ? 'float64' : 'float32';
    return setKey(
      sample,
      o.key,
      mapNumeric(value, o.key, (x) => (Number.isNaN(x) ? o.value : x), dtype),
    );
  },
});
