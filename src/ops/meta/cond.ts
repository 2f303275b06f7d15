import { OptionsError, TypeMismatchError } from '../../core/errors.js';
import { getKey } from '../../core/sample.js';
import { childContext } from '../op.js';
import { defineOp } from '../registry.js';
import { buildChild, checkOpLike, kindOfChildren, toSpec, type OpLike } from '../child-ops.js';

/** Options of {@link cond}. */
export interface CondOptions {
  /** The op applied when the condition holds. */
  readonly op: OpLike;
  /** A boolean, or the key path of a boolean in the sample. */
  readonly condition: boolean | string;
}

/**
 * Applies an op only when a condition holds (FuseMedML's OpCond). Reads `condition` when it is a
 * key. Kind follows the op.
 * @example cond({ op: set({ key: 'data.flag', value: 1 }), condition: 'data.isTest' })
 * @throws {TypeMismatchError} (as an OpError) when the condition key does not hold a boolean.
 */
export const cond = defineOp<CondOptions, ReturnType<typeof buildChild>>({
  name: 'meta.cond',
  version: 1,
  kind: (o) => kindOfChildren([o.op]),
  validate: (o) => {
    checkOpLike('meta.cond', 'op', o.op);
    if (typeof o.condition !== 'boolean' && (typeof o.condition !== 'string' || o.condition === '')) {
      throw new OptionsError(`op 'meta.cond': option 'condition' must be a boolean or a key path`);
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
    return holds ? child.apply(sample, childContext(ctx, 'then')) : sample;
  },
});
