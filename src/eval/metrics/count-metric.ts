/**
 * Builds a metric over the confusion-matrix state from a function of the matrix.
 */
import type { Metric } from '../metric.js';
import { classCountConfig, matrixOf, mergeCounts, requireRows, resampleCounts, type ClassCountOptions, type ClassCountState } from './class-counts.js';

/** What a count metric computes from: the matrix (rows true, columns predicted), unassigned rows per true class, the class names and the total. */
export interface CountView {
  readonly m: readonly (readonly number[])[];
  readonly unassigned: readonly number[];
  readonly classNames: readonly string[];
  readonly total: number;
}

/** A metric computing `fn` of the confusion matrix. */
export function countMetric<R>(defaultName: string, options: ClassCountOptions, fn: (v: CountView) => R): Metric<ClassCountState, R> {
  const name = options.name ?? defaultName;
  const cfg = classCountConfig(name, options);
  const compute = (state: ClassCountState): R => {
    const { m, unassigned } = matrixOf(state);
    const total = requireRows(name, m, unassigned);
    return fn({ m, unassigned, classNames: cfg.classNames, total });
  };
  const metric: Metric<ClassCountState, R> = {
    name,
    init: () => cfg.init(),
    update: (state, batch) => cfg.update(state, batch),
    merge: mergeCounts,
    compute,
    status: (state) => ({ exact: true, bound: 0, skipped: state.skipped, passes: 0 }),
  };
  if (!cfg.weighted) return { ...metric, replicate: (state, rng) => compute(resampleCounts(state, rng)) };
  return metric;
}
