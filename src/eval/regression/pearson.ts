/**
 * Pearson's correlation between predictions and targets, from exact streaming sums, with the
 * two-sided p-value of the t test (n − 2 degrees of freedom), as scipy's `pearsonr`.
 */
import type { Metric } from '../metric.js';
import { studentTwoSidedP } from '../stats/beta.js';
import { regressionParts, requireRegressionRows, type RegressionKeys, type RegressionState } from './regression-sums.js';

/** A correlation and its p-value (FuseMedML's keys). */
export interface CorrelationResult {
  readonly statistic: number;
  readonly p_value: number;
}

/** r and p from n and the centered sums. */
export function correlationFrom(n: number, sxy: number, sxx: number, syy: number): CorrelationResult {
  if (n < 2 || !(sxx > 0) || !(syy > 0)) return { statistic: Number.NaN, p_value: Number.NaN };
  const r = Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
  if (n < 3) return { statistic: r, p_value: 1 };
  const t = Math.abs(r) === 1 ? Infinity : r * Math.sqrt((n - 2) / (1 - r * r));
  return { statistic: r, p_value: studentTwoSidedP(t, n - 2) };
}

/**
 * Pearson correlation. Fewer than 2 rows is an error; a constant column gives NaN (statistic
 * and p-value), as FuseMedML.
 *
 * Reads `pred`, `target` (and `mask`); writes `{ statistic, p_value }` under `name` (default
 * `'pearsonr'`). Static.
 *
 * @example
 * const m = pearson({ pred: 'x', target: 'y' });
 * @throws OptionsError on bad options; MetricInputError on non-finite values or fewer than 2 rows.
 */
export function pearson(options: RegressionKeys): Metric<RegressionState, CorrelationResult> {
  const name = options.name ?? 'pearsonr';
  return {
    name,
    ...regressionParts(name, options),
    compute(s) {
      const n = requireRegressionRows(name, s, 2);
      const sx = s.sx.value();
      const sy = s.sy.value();
      return correlationFrom(n, s.sxy.value() - (sx * sy) / n, s.sxx.value() - (sx * sx) / n, s.syy.value() - (sy * sy) / n);
    },
  };
}
