import { TypeMismatchError } from '../../core/errors.js';
import { getKey, setKey } from '../../core/sample.js';
import { defineOp } from '../registry.js';
import { checkKey, checkNumber } from '../validate.js';

/** Options of {@link oneHot}. */
export interface OneHotOptions {
  /** Key of an integer class index in [0, numClasses). */
  readonly inKey: string;
  /** Default `inKey`. */
  readonly outKey?: string;
  readonly numClasses: number;
}

/**
 * Class index → float32 one-hot tensor of shape [numClasses] (FuseMedML's OpToOneHot).
 * Reads `inKey`, writes `outKey`. Static.
 * @example oneHot({ inKey: 'data.label', outKey: 'data.labelOneHot', numClasses: 2 })
 * @throws {TypeMismatchError} (as an OpError) when the value is not an integer in range.
 */
export const oneHot = defineOp<OneHotOptions>({
  name: 'keys.oneHot',
  version: 1,
  kind: 'static',
  validate: (o) => {
    checkKey('keys.oneHot', 'inKey', o.inKey);
    checkNumber('keys.oneHot', 'numClasses', o.numClasses, { min: 1, integer: true });
  },
  apply: (sample, _ctx, o) => {
    const value = getKey(sample, o.inKey);
    const index = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= o.numClasses) {
      throw new TypeMismatchError(`key '${o.inKey}': expected an integer class index in [0, ${o.numClasses}), got ${JSON.stringify(value)}`);
    }
    const data = new Float32Array(o.numClasses);
    data[index] = 1;
    return setKey(sample, o.outKey ?? o.inKey, { dtype: 'float32', shape: [o.numClasses], data });
  },
});
