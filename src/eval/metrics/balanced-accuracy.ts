/**
 * Balanced accuracy: the mean over classes present in the targets of the per-class recall.
 */
import type { Metric } from '../metric.js';
import type { ClassCountOptions, ClassCountState } from './class-counts.js';
import { countMetric } from './count-metric.js';

/** Options of `balancedAccuracy`. */
export type BalancedAccuracyOptions = ClassCountOptions;

/**
 * Balanced accuracy (scikit-learn's `balanced_accuracy_score`; classes absent from the targets
 * are left out of the mean).
 *
 * Reads the class-count keys (see `accuracy`); writes a number under `name` (default
 * `'balanced-accuracy'`). Static; exact counts.
 *
 * @example
 * const m = balancedAccuracy({ pred: 'p', target: 'y' });
 * m.compute(m.update(m.init(), { p: [0.9, 0.1, 0.1, 0.1], y: [1, 0, 0, 1] }), {}); // 0.75
 * @throws OptionsError on bad options; MetricInputError on bad input or no rows.
 */
export function balancedAccuracy(options: BalancedAccuracyOptions): Metric<ClassCountState, number> {
  return countMetric('balanced-accuracy', options, ({ m, unassigned }) => {
    let sum = 0;
    let classes = 0;
    m.forEach((row, i) => {
      const support = row.reduce((a, b) => a + b, 0) + (unassigned[i] as number);
      if (support > 0) {
        sum += (row[i] as number) / support;
        classes++;
      }
    });
    return sum / classes;
  });
}
