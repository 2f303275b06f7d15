import { OptionsError } from '../../core/errors.js';
import { getKey, getOr, sampleIdOf, setKey, type Sample } from '../../core/sample.js';
import type { OpContext, OpKind } from '../op.js';
import { defineOp } from '../registry.js';

/** Options of {@link lambda}. */
export interface LambdaOptions {
  /** When given, `fn` maps the value at `key`; otherwise `fn` maps the whole sample. */
  readonly key?: string;
  /** The function. Must be pure; draw randomness only from `ctx.rng`. */
  readonly fn: (value: unknown, ctx: OpContext) => unknown;
  /** Undoes `fn` on a value (for reverse). */
  readonly fnReverse?: (value: unknown) => unknown;
  /** `'random'` when `fn` uses `ctx.rng`. Default `'static'`. */
  readonly kind?: OpKind;
  /**
   * Bump when `fn`'s behaviour changes; the cache fingerprint includes `fn`'s source but not the
   * helpers it calls. Default 1.
   */
  readonly fnVersion?: number;
}

/**
 * Applies a function to a key or the whole sample (FuseMedML's OpLambda). Functions cannot cross
 * thread boundaries: a lambda runs in-thread only (the worker runner rejects it with a clear
 * error); register a named op with `defineOp` for worker pipelines.
 * @example lambda({ key: 'data.age', fn: (x) => (x as number) / 100 })
 * @throws {OptionsError} when `fn` is not a function.
 */
export const lambda = defineOp<LambdaOptions>({
  name: 'meta.lambda',
  version: 1,
  kind: (o) => o.kind ?? 'static',
  validate: (o) => {
    if (typeof o.fn !== 'function') throw new OptionsError(`op 'meta.lambda': option 'fn' must be a function`);
    if (o.fnReverse !== undefined && typeof o.fnReverse !== 'function') throw new OptionsError(`op 'meta.lambda': option 'fnReverse' must be a function`);
  },
  apply: (sample, ctx, o) => {
    if (o.key === undefined) return o.fn(sample, ctx) as Sample | null;
    const recorded = setKey(sample, reverseKey(ctx.opId), o.key);
    return setKey(recorded, o.key, o.fn(getKey(sample, o.key), ctx));
  },
  reverse: (sample, info, o) => {
    if (o.key === undefined) {
      throw new Error(`meta.lambda (op id '${info.opId}') maps the whole sample, so what it did to '${info.keyToFollow}' cannot be undone; give it a 'key' and an 'fnReverse'`);
    }
    const recorded = getOr<unknown>(sample, reverseKey(info.opId), undefined);
    if (typeof recorded !== 'string')
      throw new Error(`meta.lambda (op id '${info.opId}'): sample '${sampleIdOf(sample)}' has no record of the key it changed at '${reverseKey(info.opId)}'`);
    if (recorded !== info.keyToFollow) return sample;
    if (o.fnReverse === undefined) throw new Error(`meta.lambda (op id '${info.opId}') changed '${info.keyToFollow}' and has no fnReverse to undo it`);
    return setKey(sample, info.keyToReverse, o.fnReverse(getKey(sample, info.keyToReverse)));
  },
});

/** Where a lambda records the key it changed, for reverse. */
export function reverseKey(opId: string): string {
  return `ops.${opId.replace(/\./g, '_')}.key`;
}
