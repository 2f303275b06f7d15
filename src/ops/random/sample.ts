import { isBranch, setKey } from '../../core/sample.js';
import { childContext, type Op, type OpSpec } from '../op.js';
import { defineOp } from '../registry.js';
import { buildChild, checkOpLike, mapResult, reverseChild, toSpec, wrapperKey, wrapperRecord, type OpLike } from '../child-ops.js';
import { drawRecursively, isSampler, probeSamplers } from './samplers.js';

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

interface Prepared {
  readonly spec: OpSpec;
  /** The op's options with the overrides, samplers still in place. */
  readonly template: Readonly<Record<string, unknown>>;
  /** Whether the op can reverse (then the draws are recorded). */
  readonly reversible: boolean;
}

const NAME = 'random.sample';

/** The value drawn for each sampler of `template`, by its path (`/key/0/...`). */
function drawsOf(template: unknown, drawn: unknown, path: string, out: Record<string, unknown>): Record<string, unknown> {
  if (isSampler(template)) out[path] = drawn;
  else if (Array.isArray(template) && Array.isArray(drawn)) template.forEach((t, i) => drawsOf(t, drawn[i], `${path}/${i}`, out));
  else if (isBranch(template) && isBranch(drawn)) for (const k of Object.keys(template)) drawsOf(template[k], drawn[k], `${path}/${k}`, out);
  return out;
}

/** `template` with each sampler replaced by its recorded draw. */
function replay(template: unknown, draws: Readonly<Record<string, unknown>>, path: string): unknown {
  if (isSampler(template)) return draws[path];
  if (Array.isArray(template)) return template.map((t, i) => replay(t, draws, `${path}/${i}`));
  if (isBranch(template)) return Object.fromEntries(Object.keys(template).map((k) => [k, replay(template[k], draws, `${path}/${k}`)]));
  return template;
}

function canReverse(spec: OpSpec, template: Readonly<Record<string, unknown>>): boolean {
  let probe: Op<object>;
  try {
    probe = buildChild({ ...spec, options: probeSamplers(template) as Readonly<Record<string, unknown>> });
  } catch {
    return true; // unknown until drawn: record the draws to be safe
  }
  return probe.reverse !== undefined;
}

/**
 * Draws every sampler in an op's options from the sample's generator, then applies the op with
 * the drawn values (FuseMedML's OpSample); the op runs under op id `<opId>.op`. Wrap a `repeat`
 * to share one draw across keys (image and mask rotated alike, FuseMedML's OpSampleAndRepeat);
 * put `sample` inside `repeat` for a draw per key (OpRepeatAndSample). Random. When the op can
 * reverse, the draws are recorded at `<opId>.draws` and `reverse` rebuilds the op with them.
 * @example sample({ op: zScore({ key: 'data.x', mean: uniform(-1, 1), std: 1 }) })
 * @throws {OptionsError} when the drawn options are invalid for the op (e.g. a negative std).
 */
export const sample = defineOp<SampleOptions, Prepared>({
  name: NAME,
  version: 2,
  kind: 'random',
  validate: (o) => checkOpLike(NAME, 'op', o.op),
  prepare: (o) => {
    const spec = toSpec(o.op);
    const { op: _child, ...overrides } = o;
    const template = { ...spec.options, ...overrides };
    return { spec, template, reversible: canReverse(spec, template) };
  },
  apply: (s, ctx, _o, { spec, template, reversible }) => {
    const drawn = drawRecursively(template, ctx.rng.fork('draw')) as Readonly<Record<string, unknown>>;
    const op = buildChild({ ...spec, options: drawn });
    const result = op.apply(s, childContext(ctx, 'op'));
    return reversible ? mapResult(result, (x) => setKey(x, wrapperKey(ctx.opId, 'draws'), drawsOf(template, drawn, '', {}))) : result;
  },
  reverse: (s, info, _o, { spec, template, reversible }) => {
    if (!reversible) return s;
    const draws = wrapperRecord(s, NAME, info.opId, 'draws', isBranch, 'the recorded draws');
    const op = buildChild({ ...spec, options: replay(template, draws, '') as Readonly<Record<string, unknown>> });
    return reverseChild(op, s, info, `${info.opId}.op`);
  },
});
