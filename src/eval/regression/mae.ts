/**
 * Mean absolute error: mean |y − x| (x = prediction, y = target), from exact streaming sums.
 */
import type { Metric } from '../metric.js';
import { regressionParts, requireRegressionRows, type RegressionKeys, type RegressionState } from './regression-sums.js';

/**
 * Mean absolute error (scikit-learn's `mean_absolute_error`).
 *
 * Reads `pred`, `target` (and `mask`); writes a number under `name` (default `'mae'`).
 * Static; exactly rounded sums merge bit for bit.
 *
 * @example
 * const m = mae({ pred: 'p', target: 'y' });
 * @throws OptionsError on bad options; MetricInputError on non-finite values or no rows.
 */
export function mae(options: RegressionKeys): Metric<RegressionState, number> {
  const name = options.name ?? 'mae';
  return { name, ...regressionParts(name, options), compute: (s) => s.sae.value() / requireRegressionRows(name, s) };
}
