/**
 * Work that several metrics repeat on the same batch, done once: the class-count metrics
 * (accuracy, balanced accuracy, confusion, MCC) each decide every row's true and predicted class,
 * and the probability metrics (Brier, log loss) each read every row's probabilities, from the same
 * columns with the same options.
 *
 * The sharing is scoped: {@link withBatchMemo} opens a memo for one batch around that batch's
 * metric updates (the segment fold does this) and drops it when they return, so a reader that
 * later refills the batch's arrays in place can never be answered from it. Outside a scope, or
 * for another batch object, {@link batchMemo} just computes. A computation that throws stores
 * nothing (the next metric computes again and throws with its own name, as without the memo).
 * Bound: one batch's results per distinct key, released at the end of the scope.
 */
import type { EvalBatch } from './metric.js';

let scope: { readonly batch: EvalBatch; readonly values: Map<string, unknown> } | null = null;

/** Runs `f` (the metric updates of `batch`) with a memo for `batch`; the memo ends with it. */
export function withBatchMemo<T>(batch: EvalBatch, f: () => T): T {
  const outer = scope;
  scope = { batch, values: new Map() };
  try {
    return f();
  } finally {
    scope = outer;
  }
}

/**
 * `compute()`, or its result for this batch and `key` when an earlier metric in the same scope
 * computed it. The result is shared: callers only read it. `key` must name everything the result
 * depends on besides the batch (see {@link memoKey}).
 */
export function batchMemo<T>(batch: EvalBatch, key: string, compute: () => T): T {
  const s = scope;
  if (s === null || s.batch !== batch) return compute();
  if (s.values.has(key)) return s.values.get(key) as T;
  const value = compute();
  s.values.set(key, value);
  return value;
}

/** A memo key: `kind` and the options a result depends on (bigint labels kept apart from strings). */
export function memoKey(kind: string, options: Readonly<Record<string, unknown>>): string {
  return `${kind}:${JSON.stringify(options, (_, v: unknown) => (typeof v === 'bigint' ? { bigint: String(v) } : v))}`;
}
