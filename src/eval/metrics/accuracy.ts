/**
 * Accuracy: the (weighted) fraction of rows whose predicted class is the target.
 */
import type { Metric } from '../metric.js';
import type { ClassCountOptions, ClassCountState } from './class-counts.js';
import { countMetric } from './count-metric.js';

/** Options of `accuracy`. */
export type AccuracyOptions = ClassCountOptions;

/**
 * Accuracy (scikit-learn's `accuracy_score`).
 *
 * Reads `pred` (binary score, thresholded strictly above `threshold`, default 0.5; or classes
 * with `predType: 'class'`) or `preds` (class probabilities, argmax with ties to the lower
 * index), `target`, optional `weight`; writes a number under `name` (default `'accuracy'`).
 * Static; exact counts.
 *
 * @example
 * const m = accuracy({ pred: 'p', target: 'y' });
 * m.compute(m.update(m.init(), { p: [0.2, 0.7, 0.5], y: [0, 1, 1] }), {}); // 2/3
 * @throws OptionsError on bad options; MetricInputError on bad input or no rows.
 */
export function accuracy(options: AccuracyOptions): Metric<ClassCountState, number> {
  return countMetric('accuracy', options, ({ m, total }) => {
    let correct = 0;
    m.forEach((row, i) => (correct += row[i] as number));
    return correct / total;
  });
}
