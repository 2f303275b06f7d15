import { setKey } from '../../core/sample.js';
import { childContext } from '../op.js';
import { defineOp } from '../registry.js';
import { buildChild, checkOpLike, mapResult, reverseChild, toSpec, wrapperKey, wrapperRecord, type OpLike } from '../child-ops.js';
import { checkNumber } from '../validate.js';

/** Options of {@link randApply}. */
export interface RandApplyOptions {
  readonly op: OpLike;
  /** Probability of applying the op. Default 0.5. */
  readonly p?: number;
}

const NAME = 'random.randApply';
/** The wrapped op runs under op id `<opId>.apply`. */
const LABEL = 'apply';

/**
 * Applies an op with probability `p` (FuseMedML's OpRandApply). Random. When the op can reverse
 * (a spatial image op, a lambda with `fnReverse`, another wrapper), whether it fired is recorded
 * at `<opId>.applied` and `reverse` undoes it only if it did.
 * @example randApply({ op: set({ key: 'data.flag', value: true }), p: 0.3 })
 * @throws {OptionsError} when `p` is outside [0, 1].
 */
export const randApply = defineOp<RandApplyOptions, ReturnType<typeof buildChild>>({
  name: NAME,
  version: 2,
  kind: 'random',
  validate: (o) => {
    checkOpLike(NAME, 'op', o.op);
    if (o.p !== undefined) checkNumber(NAME, 'p', o.p, { min: 0, max: 1 });
  },
  prepare: (o) => buildChild(toSpec(o.op)),
  apply: (sample, ctx, o, child) => {
    const fired = ctx.rng.next() < (o.p ?? 0.5);
    const result = fired ? child.apply(sample, childContext(ctx, LABEL)) : sample;
    return child.reverse === undefined ? result : mapResult(result, (s) => setKey(s, wrapperKey(ctx.opId, 'applied'), fired));
  },
  reverse: (sample, info, _o, child) => {
    if (child.reverse === undefined) return sample;
    const fired = wrapperRecord(sample, NAME, info.opId, 'applied', (v): v is boolean => typeof v === 'boolean', 'true or false');
    return fired ? reverseChild(child, sample, info, `${info.opId}.${LABEL}`) : sample;
  },
});
