import { OpError, OptionsError } from '../../core/errors.js';
import { childContext, type OpSpec } from '../op.js';
import { defineOp } from '../registry.js';
import { buildChild, checkOpLike, kindOfChildren, reverseChild, toSpec, type OpLike } from '../child-ops.js';
import type { Sample } from '../../core/sample.js';

/** Options of {@link repeat}. */
export interface RepeatOptions {
  /** The op to run once per step. */
  readonly op: OpLike;
  /** Per step, options that override the op's own (e.g. `[{ key: 'a' }, { key: 'b' }]`). */
  readonly steps: readonly Readonly<Record<string, unknown>>[];
}

/**
 * Runs an op once per step with options overridden per step (FuseMedML's OpRepeat), e.g. the
 * same normalization on several keys. Each step gets its own op id `<opId>.<i>` and generator.
 * The op may not split samples (a one-sample list, e.g. a single patch, counts as that sample);
 * a `null` from any step drops the sample. Kind follows the op. `reverse` undoes the steps last
 * first (every step ran, or the sample was dropped), each under its own op id.
 * @example repeat({ op: zScore({ key: 'x', mean: 0, std: 1 }), steps: [{ key: 'data.a' }, { key: 'data.b' }] })
 * @throws {OptionsError} when `steps` is empty; an OpError when the op returns several samples.
 */
export const repeat = defineOp<RepeatOptions, ReturnType<typeof buildChild>[]>({
  name: 'meta.repeat',
  version: 1,
  kind: (o) => kindOfChildren([o.op]),
  validate: (o) => {
    checkOpLike('meta.repeat', 'op', o.op);
    if (!Array.isArray(o.steps) || o.steps.length === 0) throw new OptionsError(`op 'meta.repeat': option 'steps' must be a non-empty list of option overrides`);
  },
  prepare: (o) => {
    const spec: OpSpec = toSpec(o.op);
    return o.steps.map((s) => buildChild(spec, s));
  },
  apply: async (sample, ctx, _o, children) => {
    let current: Sample = sample;
    for (let i = 0; i < children.length; i++) {
      const child = children[i] as (typeof children)[number];
      const cctx = childContext(ctx, i);
      const r = await child.apply(current, cctx);
      const one = Array.isArray(r) && r.length === 1 ? (r[0] as Sample) : r;
      if (one === null || (Array.isArray(one) && one.length === 0)) return null;
      if (Array.isArray(one)) throw new OpError(child.name, cctx.opId, ctx.sampleId, new Error('meta.repeat: the repeated op may not split a sample'));
      current = one as Sample;
    }
    return current;
  },
  reverse: (sample, info, _o, children) => {
    let current = sample;
    for (let i = children.length - 1; i >= 0; i--) current = reverseChild(children[i] as (typeof children)[number], current, info, `${info.opId}.${i}`);
    return current;
  },
});
