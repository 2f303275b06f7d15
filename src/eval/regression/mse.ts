/**
 * Mean squared error: mean (y − x)² (x = prediction, y = target), from exact streaming sums.
 */
import type { Metric } from '../metric.js';
import { regressionParts, requireRegressionRows, type RegressionKeys, type RegressionState } from './regression-sums.js';

/**
 * Mean squared error (scikit-learn's `mean_squared_error`).
 *
 * Reads `pred`, `target` (and `mask`); writes a number under `name` (default `'mse'`).
 * Static; exactly rounded sums merge bit for bit.
 *
 * @example
 * const m = mse({ pred: 'p', target: 'y' });
 * @throws OptionsError on bad options; MetricInputError on non-finite values or no rows.
 */
export function mse(options: RegressionKeys): Metric<RegressionState, number> {
  const name = options.name ?? 'mse';
  return { name, ...regressionParts(name, options), compute: (s) => s.sse.value() / requireRegressionRows(name, s) };
}
