/**
 * Runs one metric over batches held in memory or re-readable from a source: the first pass,
 * the extra passes it asks for, sharding (round-robin batches into `shards` states merged at
 * the end) and compute. The full streaming driver is `evaluate`; this is the small synchronous
 * one used by the wrappers, tests and benchmarks.
 */
import type { EvalBatch, Metric, MetricResults, MetricStatus } from '../metric.js';

/** Options of `runMetric`. */
export interface RunMetricOptions {
  /** Number of shard states the batches are dealt to (round-robin), merged before compute. Default 1. */
  readonly shards?: number;
  /** Results of other metrics that `compute` may read. Default {}. */
  readonly results?: MetricResults;
}

/** What `runMetric` returns. */
export interface RunMetricResult<S, R> {
  readonly result: R;
  readonly state: S;
  readonly status: MetricStatus;
}

function fold<S>(metric: Pick<Metric<S>, 'init' | 'update' | 'merge'>, batches: Iterable<EvalBatch>, shards: number): S {
  const states: S[] = Array.from({ length: shards }, () => metric.init());
  let i = 0;
  for (const b of batches) {
    const k = i++ % shards;
    states[k] = metric.update(states[k] as S, b);
  }
  let acc = states[0] as S;
  for (let k = 1; k < shards; k++) acc = metric.merge(acc, states[k] as S);
  return acc;
}

/**
 * Runs `metric` over `read()` (called once per pass) and computes its result.
 *
 * @example
 * const { result } = runMetric(auc({ pred: 'p', target: 'y' }), () => [{ p: [0.2, 0.8], y: [0, 1] }]);
 */
export function runMetric<S, R>(metric: Metric<S, R>, read: () => Iterable<EvalBatch>, options: RunMetricOptions = {}): RunMetricResult<S, R> {
  const shards = options.shards ?? 1;
  let state = fold(metric, read(), shards);
  for (let pass = metric.nextPass?.(state) ?? null; pass !== null; pass = metric.nextPass?.(state) ?? null) {
    const p = pass;
    const ps = fold({ init: () => p.init(), update: (s, b) => p.update(s, b), merge: (a, b) => p.merge(a, b) }, read(), shards);
    state = p.finish(state, ps);
  }
  const result = metric.compute(state, options.results ?? {});
  const status = metric.status?.(state) ?? { exact: true, bound: 0, skipped: 0, passes: 0 };
  return { result, state, status };
}
