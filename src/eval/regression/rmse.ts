/**
 * Root mean squared error: sqrt(mean (y − x)²) (x = prediction, y = target), from exact streaming sums.
 */
import type { Metric } from '../metric.js';
import { regressionParts, requireRegressionRows, type RegressionKeys, type RegressionState } from './regression-sums.js';

/**
 * Root mean squared error (scikit-learn's `mean_squared_error(squared=False)`).
 *
 * Reads `pred`, `target` (and `mask`); writes a number under `name` (default `'rmse'`).
 * Static; exactly rounded sums merge bit for bit.
 *
 * @example
 * const m = rmse({ pred: 'p', target: 'y' });
 * @throws OptionsError on bad options; MetricInputError on non-finite values or no rows.
 */
export function rmse(options: RegressionKeys): Metric<RegressionState, number> {
  const name = options.name ?? 'rmse';
  return { name, ...regressionParts(name, options), compute: (s) => Math.sqrt(s.sse.value() / requireRegressionRows(name, s)) };
}
