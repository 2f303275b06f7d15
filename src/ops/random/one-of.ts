import { OptionsError } from '../../core/errors.js';
import { setKey } from '../../core/sample.js';
import { childContext } from '../op.js';
import { defineOp } from '../registry.js';
import { buildChild, checkOpLike, mapResult, reverseChild, toSpec, wrapperKey, wrapperRecord, type OpLike } from '../child-ops.js';

/** Options of {@link oneOf}. */
export interface OneOfOptions {
  readonly ops: readonly OpLike[];
  /** Non-negative weights, one per op. Default uniform. */
  readonly weights?: readonly number[];
}

const NAME = 'random.oneOf';

/**
 * Applies one op chosen at random (MONAI's OneOf); op `i` runs under op id `<opId>.<i>`. Random.
 * When any of the ops can reverse, the chosen index is recorded at `<opId>.chosen` and `reverse`
 * undoes that op (nothing, when the chosen one cannot reverse: it moved nothing).
 * @example oneOf({ ops: [randFlip({ keys: ['img'], axes: [0] }), randRotate90({ keys: ['img'] })], weights: [1, 2] })
 * @throws {OptionsError} for an empty list or bad weights.
 */
export const oneOf = defineOp<OneOfOptions, ReturnType<typeof buildChild>[]>({
  name: NAME,
  version: 2,
  kind: 'random',
  validate: (o) => {
    if (!Array.isArray(o.ops) || o.ops.length === 0) throw new OptionsError(`op '${NAME}': option 'ops' must be a non-empty list`);
    o.ops.forEach((op, i) => checkOpLike(NAME, `ops[${i}]`, op));
    const w = o.weights;
    if (w !== undefined && (w.length !== o.ops.length || w.some((x) => !(x >= 0)) || w.every((x) => x === 0))) {
      throw new OptionsError(`op '${NAME}': option 'weights' must be ${o.ops.length} non-negative numbers, not all zero`);
    }
  },
  prepare: (o) => o.ops.map((op) => buildChild(toSpec(op))),
  apply: (sample, ctx, o, children) => {
    const index = ctx.rng.choice(
      children.map((_, i) => i),
      o.weights,
    );
    const child = children[index] as (typeof children)[number];
    const result = child.apply(sample, childContext(ctx, index));
    return children.every((c) => c.reverse === undefined) ? result : mapResult(result, (s) => setKey(s, wrapperKey(ctx.opId, 'chosen'), index));
  },
  reverse: (sample, info, _o, children) => {
    if (children.every((c) => c.reverse === undefined)) return sample;
    const isIndex = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) < children.length;
    const index = wrapperRecord(sample, NAME, info.opId, 'chosen', isIndex, `an op index below ${children.length}`);
    return reverseChild(children[index] as (typeof children)[number], sample, info, `${info.opId}.${index}`);
  },
});
