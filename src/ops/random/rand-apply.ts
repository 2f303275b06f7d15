import { childContext } from '../op.js';
import { defineOp } from '../registry.js';
import { buildChild, checkOpLike, toSpec, type OpLike } from '../child-ops.js';
import { checkNumber } from '../validate.js';

/** Options of {@link randApply}. */
export interface RandApplyOptions {
  readonly op: OpLike;
  /** Probability of applying the op. Default 0.5. */
  readonly p?: number;
}

/**
 * Applies an op with probability `p` (FuseMedML's OpRandApply). Random.
 * @example randApply({ op: set({ key: 'data.flag', value: true }), p: 0.3 })
 * @throws {OptionsError} when `p` is outside [0, 1].
 */
export const randApply = defineOp<RandApplyOptions, ReturnType<typeof buildChild>>({
  name: 'random.randApply',
  version: 1,
  kind: 'random',
  validate: (o) => {
    checkOpLike('random.randApply', 'op', o.op);
    if (o.p !== undefined) checkNumber('random.randApply', 'p', o.p, { min: 0, max: 1 });
  },
  prepare: (o) => buildChild(toSpec(o.op)),
  apply: (sample, ctx, o, child) => (ctx.rng.next() < (o.p ?? 0.5) ? child.apply(sample, childContext(ctx, 'apply')) : sample),
});
