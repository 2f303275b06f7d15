import { childContext } from '../op.js';
import { defineOp } from '../registry.js';
import { buildChild, checkOpLike, toSpec, type OpLike } from '../child-ops.js';
import { drawRecursively } from './samplers.js';
import type { OpSpec } from '../op.js';

/** Options of {@link sample}. */
export interface SampleOptions {
  /** An op whose options contain samplers (uniform, randInt, randBool, choice, gaussian). */
  readonly op: OpLike;
  /**
   * Any other option overrides the op's own before drawing — so `repeat` can route keys through
   * `sample` (FuseMedML's OpRepeatAndSample).
   */
  readonly [override: string]: unknown;
}

/**
 * Draws every sampler in an op's options from the sample's generator, then applies the op with
 * the drawn values (FuseMedML's OpSample). Wrap a `repeat` to share one draw across keys
 * (image and mask rotated alike, FuseMedML's OpSampleAndRepeat); put `sample` inside `repeat`
 * for a draw per key (OpRepeatAndSample). Random.
 * @example sample({ op: zScore({ key: 'data.x', mean: uniform(-1, 1), std: 1 }) })
 * @throws {OptionsError} when the drawn options are invalid for the op (e.g. a negative std).
 */
export const sample = defineOp<SampleOptions, OpSpec>({
  name: 'random.sample',
  version: 1,
  kind: 'random',
  validate: (o) => checkOpLike('random.sample', 'op', o.op),
  prepare: (o) => toSpec(o.op),
  apply: (s, ctx, o, spec) => {
    const { op: _child, ...overrides } = o;
    const drawn = drawRecursively({ ...spec.options, ...overrides }, ctx.rng.fork('draw')) as Readonly<Record<string, unknown>>;
    const op = buildChild({ ...spec, options: drawn });
    return op.apply(s, childContext(ctx, 'op'));
  },
});
