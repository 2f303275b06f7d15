import { getKey, setKey } from '../../core/sample.js';
import { defineOp } from '../registry.js';
import { checkKey, checkKeys } from '../validate.js';
import { numbersOf } from '../values.js';

/** Options of {@link concat}. */
export interface ConcatOptions {
  /** Keys of numbers, number arrays or tensors, concatenated in this order (flattened). */
  readonly keys: readonly string[];
  readonly outKey: string;
}

/**
 * Concatenates numeric values into one float32 vector (FuseMedML's OpConcat on axis 0; scalars
 * become one element, tensors are flattened). Reads `keys`, writes `outKey`. Static.
 * @example concat({ keys: ['data.age', 'data.features'], outKey: 'data.tabular' })
 * @throws {TypeMismatchError} (as an OpError) naming the key that is not numeric.
 */
export const concat = defineOp<ConcatOptions>({
  name: 'keys.concat',
  version: 1,
  kind: 'static',
  validate: (o) => {
    checkKeys('keys.concat', 'keys', o.keys);
    checkKey('keys.concat', 'outKey', o.outKey);
  },
  apply: (sample, _ctx, o) => {
    const parts = o.keys.map((k) => numbersOf(getKey(sample, k), k));
    const data = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const p of parts) {
      data.set(p, offset);
      offset += p.length;
    }
    return setKey(sample, o.outKey, { dtype: 'float32', shape: [data.length], data });
  },
});
