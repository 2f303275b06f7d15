/**
 * The op contract. An op is a pure function over samples plus a serializable spec
 * (`{ name, version, options }`). `apply` returns the new sample, `null` to drop it, or an array
 * (one sample becomes several). It may be async. Ops never mutate their input.
 */
import { Rng } from '../core/rng.js';
import type { Sample } from '../core/sample.js';

/** `static` ops are deterministic and cacheable; `random` ops draw from `ctx.rng`. */
export type OpKind = 'static' | 'random';

/** What an op may return: a sample, `null` (drop), or several samples. */
export type OpResult = Sample | null | readonly Sample[];

/** Per-call context. `rng` is created on first use from `(seed, epoch, sampleId, opIndex)`. */
export interface OpContext {
  readonly sampleId: string;
  readonly opId: string;
  readonly opIndex: number;
  readonly epoch: number;
  readonly seed: number;
  readonly rng: Rng;
}

/** Serializable description of an op: enough to rebuild it in another thread or process. */
export interface OpSpec {
  readonly name: string;
  readonly version: number;
  readonly options: Readonly<Record<string, unknown>>;
  /** Module that registers the op (for user ops); a worker imports it before building. */
  readonly module?: string;
}

/** A built op. */
export interface Op<O extends object = Readonly<Record<string, unknown>>> {
  readonly name: string;
  readonly version: number;
  readonly kind: OpKind;
  readonly options: O;
  /** Set when the op was given an explicit id with {@link withId}; otherwise the pipeline assigns one. */
  readonly id?: string;
  readonly module?: string;
  apply(sample: Sample, ctx: OpContext): OpResult | Promise<OpResult>;
  /**
   * Undo what the op did, for ops that record reverse information under their op id. Maps
   * `keyToReverse` (e.g. a prediction) back the way `keyToFollow` (e.g. the input image) came.
   */
  reverse?(sample: Sample, info: { readonly keyToReverse: string; readonly keyToFollow: string; readonly opId: string }): Sample;
}

/** The spec of an op (functions in options stay as they are; they cannot cross threads). */
export function specOf(op: Op<object>): OpSpec {
  const base = { name: op.name, version: op.version, options: op.options as Readonly<Record<string, unknown>> };
  return op.module === undefined ? base : { ...base, module: op.module };
}

/** The same op with an explicit id (used for reverse information and error messages). */
export function withId<O extends object>(op: Op<O>, id: string): Op<O> {
  return { ...op, id };
}

/** A context whose `rng` is built lazily: most ops never touch it. */
export class SampleContext implements OpContext {
  private generator: Rng | undefined;
  constructor(
    readonly sampleId: string,
    readonly opId: string,
    readonly opIndex: number,
    readonly epoch: number,
    readonly seed: number,
  ) {}

  get rng(): Rng {
    if (this.generator === undefined) {
      this.generator = Rng.forKey({ seed: this.seed, epoch: this.epoch, sampleId: this.sampleId, opIndex: this.opIndex });
    }
    return this.generator;
  }
}

/** The context for a nested op (inside a meta op): its own id and an independent generator. */
export function childContext(ctx: OpContext, label: string | number): OpContext {
  const rng = ctx.rng.fork(label);
  return {
    sampleId: ctx.sampleId,
    opId: `${ctx.opId}.${label}`,
    opIndex: ctx.opIndex,
    epoch: ctx.epoch,
    seed: ctx.seed,
    rng,
  };
}
