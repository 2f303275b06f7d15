import { TypeMismatchError } from '../../core/errors.js';
import { getKey, setKey } from '../../core/sample.js';
import { defineOp } from '../registry.js';
import { checkKey, checkNumber } from '../validate.js';
import { numbersOf } from '../values.js';

/** Options of {@link oneHotToIndex}. */
export interface OneHotToIndexOptions {
  readonly inKey: string;
  /** Default `inKey`. */
  readonly outKey?: string;
  /** When given, the vector length must equal it. */
  readonly numClasses?: number;
}

/**
 * One-hot (or score) vector → index of its maximum; ties go to the lower index (FuseMedML's
 * OpOneHotToNumber). Reads `inKey`, writes `outKey` as a number. Static.
 * @example oneHotToIndex({ inKey: 'data.labelOneHot', outKey: 'data.label', numClasses: 3 })
 * @throws {TypeMismatchError} (as an OpError) for an empty vector or a length other than `numClasses`.
 */
export const oneHotToIndex = defineOp<OneHotToIndexOptions>({
  name: 'cast.oneHotToIndex',
  version: 1,
  kind: 'static',
  validate: (o) => {
    checkKey('cast.oneHotToIndex', 'inKey', o.inKey);
    if (o.numClasses !== undefined) checkNumber('cast.oneHotToIndex', 'numClasses', o.numClasses, { min: 1, integer: true });
  },
  apply: (sample, _ctx, o) => {
    const v = numbersOf(getKey(sample, o.inKey), o.inKey);
    if (v.length === 0 || (o.numClasses !== undefined && v.length !== o.numClasses)) {
      throw new TypeMismatchError(`key '${o.inKey}': expected a vector of ${o.numClasses ?? 'at least 1'} elements, got ${v.length}`);
    }
    let best = 0;
    for (let i = 1; i < v.length; i++) if ((v[i] as number) > (v[best] as number)) best = i;
    return setKey(sample, o.outKey ?? o.inKey, best);
  },
});
