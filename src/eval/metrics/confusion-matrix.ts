/**
 * The confusion matrix: counts and row-normalised percentages, rows = true class.
 */
import type { Metric } from '../metric.js';
import type { ClassCountOptions, ClassCountState } from './class-counts.js';
import { countMetric } from './count-metric.js';

/** Options of `confusionMatrix`. */
export type ConfusionMatrixOptions = ClassCountOptions;

/** A confusion matrix result. */
export interface ConfusionMatrixResult {
  readonly classNames: readonly string[];
  /** count[t][p]: rows with true class t predicted as p. */
  readonly count: readonly (readonly number[])[];
  /** percent[t][p] = 100 · count[t][p] / row total (NaN for an empty row). */
  readonly percent: readonly (readonly number[])[];
  /** Row totals (true class support, including rows with no predicted class). */
  readonly total: readonly number[];
  /** Rows per true class for which per-class thresholds predicted no class. */
  readonly unassigned: readonly number[];
}

/**
 * Confusion matrix (FuseMedML's `MetricConfusionMatrix`: count and row percentages).
 *
 * Reads the class-count keys (see `accuracy`); writes a `ConfusionMatrixResult` under `name`
 * (default `'confusion-matrix'`). Static; exact counts.
 *
 * @example
 * const m = confusionMatrix({ pred: 'c', predType: 'class', target: 'y', classNames: ['a', 'b'] });
 * m.compute(m.update(m.init(), { c: ['a', 'b', 'b'], y: ['a', 'a', 'b'] }), {}).count; // [[1, 1], [0, 1]]
 * @throws OptionsError on bad options; MetricInputError on bad input or no rows.
 */
export function confusionMatrix(options: ConfusionMatrixOptions): Metric<ClassCountState, ConfusionMatrixResult> {
  return countMetric('confusion-matrix', options, ({ m, unassigned, classNames }) => {
    const total = m.map((row, i) => row.reduce((a, b) => a + b, 0) + (unassigned[i] as number));
    return {
      classNames,
      count: m.map((row) => [...row]),
      percent: m.map((row, i) => row.map((v) => (100 * v) / (total[i] as number))),
      total,
      unassigned: [...unassigned],
    };
  });
}
