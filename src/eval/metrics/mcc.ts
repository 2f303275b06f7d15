/**
 * Matthews correlation coefficient, binary and multi-class (Gorodkin's R_K), as scikit-learn's
 * `matthews_corrcoef`.
 */
import type { Metric } from '../metric.js';
import type { ClassCountOptions, ClassCountState } from './class-counts.js';
import { countMetric } from './count-metric.js';

/** Options of `mcc`. */
export type MccOptions = ClassCountOptions;

/**
 * MCC from the confusion matrix; 0 when a marginal is constant (as scikit-learn).
 *
 * Reads the class-count keys (see `accuracy`); writes a number under `name` (default `'mcc'`).
 * Static; exact counts.
 *
 * @example
 * const m = mcc({ pred: 'p', target: 'y' });
 * m.compute(m.update(m.init(), { p: [0.9, 0.1, 0.8, 0.2], y: [1, 0, 1, 0] }), {}); // 1
 * @throws OptionsError on bad options; MetricInputError on bad input or no rows.
 */
export function mcc(options: MccOptions): Metric<ClassCountState, number> {
  return countMetric('mcc', options, ({ m, unassigned }) => {
    const k = m.length;
    const t = m.map((row, i) => row.reduce((a, b) => a + b, 0) + (unassigned[i] as number));
    const p = Array.from({ length: k }, (_, j) => m.reduce((a, row) => a + (row[j] as number), 0));
    const correct = m.reduce((a, row, i) => a + (row[i] as number), 0);
    const n = t.reduce((a, b) => a + b, 0);
    let tp = 0;
    let pp = 0;
    let tt = 0;
    for (let i = 0; i < k; i++) {
      tp += (t[i] as number) * (p[i] as number);
      pp += (p[i] as number) * (p[i] as number);
      tt += (t[i] as number) * (t[i] as number);
    }
    const covTP = correct * n - tp;
    const covPP = n * n - pp;
    const covTT = n * n - tt;
    if (covPP * covTT === 0) return 0;
    return covTP / Math.sqrt(covTT * covPP);
  });
}
