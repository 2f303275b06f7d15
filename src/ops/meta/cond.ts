import { OptionsError, TypeMismatchError } from '../../core/errors.js';
import { getKey, setKey } from '../../core/sample.js';
import { childContext } from '../op.js';
import { defineOp } from '../registry.js';
import { buildChild, checkOpLike, kindOfChildren, mapResult, reverseChild, toSpec, wrapperKey, wrapperRecord, type OpLike } from '../child-ops.js';

/** Options of {@link cond}. */
export interface CondOptions {
  /** The op applied when the condition holds. */
  readonly op: OpLike;
  /** A boolean, or the key path of a boolean in the sample. */
  readonly condition: boolean | string;
}

const NAME = 'meta.cond';
/** The op runs under op id `<opId>.then`. */
const LABEL = 'then';

/**
 * Applies an op only when a condition holds (FuseMedML's OpCond). Reads `condition` when it is a
 * key. Kind follows the op. When the op can reverse, whether the condition held is recorded at
 * `<opId>.held` and `reverse` undoes the op only if it ran.
 * @example cond({ op: set({ key: 'data.flag', value: 1 }), condition: 'data.isTest' })
 * @throws {TypeMismatchError} (as an OpError) when the condition key does not hold a boolean.
 */
export const cond = defineOp<CondOptions, ReturnType<typeof buildChild>>({
  name: NAME,
  version: 2,
  kind: (o) => kindOfChildren([o.op]),
  validate: (o) => {
    checkOpLike(NAME, 'op', o.op);
    if (typeof o.condition !== 'boolean' && (typeof o.condition !== 'string' || o.condition === '')) {
      throw new OptionsError(`op '${NAME}': option 'condition' must be a boolean or a key path`);
    }
  },
  prepare: (o) => buildChild(toSpec(o.op)),
  apply: (sample, ctx, o, child) => {
    let holds = o.condition;
    if (typeof holds === 'string') {
      const value = getKey(sample, holds);
      if (typeof value !== 'boolean') throw new TypeMismatchError(`key '${holds}': expected a boolean condition, got ${JSON.stringify(value)}`);
      holds = value;
    }
    const result = holds ? child.apply(sample, childContext(ctx, LABEL)) : sample;
    const held = holds;
    return child.reverse === undefined ? result : mapResult(result, (s) => setKey(s, wrapperKey(ctx.opId, 'held'), held));
  },
  reverse: (sample, info, _o, child) => {
    if (child.reverse === undefined) return sample;
    const held = wrapperRecord(sample, NAME, info.opId, 'held', (v): v is boolean => typeof v === 'boolean', 'true or false');
    return held ? reverseChild(child, sample, info, `${info.opId}.${LABEL}`) : sample;
  },
});
