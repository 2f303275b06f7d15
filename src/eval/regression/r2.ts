/**
 * Coefficient of determination R² = 1 − SS_res / SS_tot, from exact streaming sums.
 */
import type { Metric } from '../metric.js';
import { MetricInputError } from '../metric-input-error.js';
import { regressionParts, requireRegressionRows, type RegressionKeys, type RegressionState } from './regression-sums.js';

/**
 * R² (scikit-learn's `r2_score`); a constant target (SS_tot = 0) is an error.
 *
 * Reads `pred`, `target` (and `mask`); writes a number under `name` (default `'r2'`). Static.
 *
 * @example
 * const m = r2({ pred: 'p', target: 'y' });
 * @throws OptionsError on bad options; MetricInputError on non-finite values, no rows or a constant target.
 */
export function r2(options: RegressionKeys): Metric<RegressionState, number> {
  const name = options.name ?? 'r2';
  return {
    name,
    ...regressionParts(name, options),
    compute(s) {
      const n = requireRegressionRows(name, s, 2);
      const sy = s.sy.value();
      const ssTot = s.syy.value() - (sy * sy) / n;
      if (!(ssTot > 0)) throw new MetricInputError(name, 'the target is constant (SS_tot = 0): R² is undefined');
      return 1 - s.sse.value() / ssTot;
    },
  };
}
