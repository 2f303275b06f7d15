import { OptionsError } from '../../core/errors.js';
import { childContext } from '../op.js';
import { defineOp } from '../registry.js';
import { buildChild, checkOpLike, toSpec, type OpLike } from '../child-ops.js';

/** Options of {@link oneOf}. */
export interface OneOfOptions {
  readonly ops: readonly OpLike[];
  /** Non-negative weights, one per op. Default uniform. */
  readonly weights?: readonly number[];
}

/**
 * Applies one op chosen at random (MONAI's OneOf). Random.
 * @example oneOf({ ops: [randFlip({ keys: ['img'], axes: [0] }), randRotate90({ keys: ['img'] })], weights: [1, 2] })
 * @throws {OptionsError} for an empty list or bad weights.
 */
export const oneOf = defineOp<OneOfOptions, ReturnType<typeof buildChild>[]>({
  name: 'random.oneOf',
  version: 1,
  kind: 'random',
  validate: (o) => {
    if (!Array.isArray(o.ops) || o.ops.length === 0) throw new OptionsError(`op 'random.oneOf': option 'ops' must be a non-empty list`);
    o.ops.forEach((op, i) => checkOpLike('random.oneOf', `ops[${i}]`, op));
    const w = o.weights;
    if (w !== undefined && (w.length !== o.ops.length || w.some((x) => !(x >= 0)) || w.every((x) => x === 0))) {
      throw new OptionsError(`op 'random.oneOf': option 'weights' must be ${o.ops.length} non-negative numbers, not all zero`);
    }
  },
  prepare: (o) => o.ops.map((op) => buildChild(toSpec(op))),
  apply: (sample, ctx, o, children) => {
    const index = ctx.rng.choice(children.map((_, i) => i), o.weights);
    const child = children[index] as (typeof children)[number];
    return child.apply(sample, childContext(ctx, index));
  },
});
