/**
 * The metric contract: incremental, batched and mergeable. `update` folds a batch into a state,
 * `merge` combines states of two shards, `compute` turns a state into the result. Metrics
 * whose exact answer needs more than one look at the data (exact AUC beyond the memory budget)
 * ask for extra passes over the same input with `nextPass`.
 */

/** A batch of predictions: columns of equal length keyed by name (dot paths allowed). */
export type EvalBatch = Readonly<Record<string, ArrayLike<unknown>>>;

import type { Rng } from '../core/rng.js';

/** Results of the metrics computed so far, by metric name. */
export type MetricResults = Readonly<Record<string, unknown>>;

/** One extra pass over the input, planned by a metric from its state after the previous pass. */
export interface MetricPass<S, P = unknown> {
  /** What the pass does (shown in progress output). */
  readonly description: string;
  init(): P;
  update(pass: P, batch: EvalBatch): P;
  merge(a: P, b: P): P;
  /** Folds the finished pass into the metric state. */
  finish(state: S, pass: P): S;
}

/** An incremental metric. */
export interface Metric<S = unknown, R = unknown> {
  /** Name of the result (e.g. `'auc'`); metrics reference each other's results by it. */
  readonly name: string;
  /** Names of metrics whose results `compute` reads (computed first). */
  readonly dependsOn?: readonly string[];
  init(): S;
  /** Folds a batch in; may mutate and return `state`. */
  update(state: S, batch: EvalBatch): S;
  /** Combines two shard states; the result equals one pass over both shards' data. */
  merge(a: S, b: S): S;
  /** An extra pass the metric needs over the same input, or null when it has enough. */
  nextPass?(state: S): MetricPass<S> | null;
  compute(state: S, results: MetricResults): R;
  /**
   * How trustworthy the result is: exact or bounded (with the bound), rows skipped by a
   * counted policy, passes run. Absent: the metric is always exact and skips nothing.
   */
  status?(state: S): MetricStatus;
  /**
   * One bootstrap replicate of the result drawn from a merged state (e.g. multinomial resampling
   * of its counts within each target class), for metrics whose state allows it. Because it reads only the merged state, the
   * replicate is the same whatever the sharding and batch size. `bootstrapCi` uses it instead
   * of resampling rows.
   */
  replicate?(state: S, rng: Rng, results: MetricResults): R;
}

/** What `Metric.status` reports. */
export interface MetricStatus {
  /** True when the result is exact (up to floating-point rounding of the final division). */
  readonly exact: boolean;
  /** Largest possible distance between the result and the exact value (0 when exact). */
  readonly bound: number;
  /** Rows dropped by a counted policy (e.g. `nonFinite: 'skip'`). */
  readonly skipped: number;
  /** Extra passes over the input that were run. */
  readonly passes: number;
}
