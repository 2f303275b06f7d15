/**
 * Spearman's rank correlation: Pearson's r of the midranks (ties averaged), with the t-test
 * p-value, as scipy's `spearmanr`. Ranks need every value, so rows are kept up to `maxRows`.
 */
import { sampleCorrelation } from 'simple-statistics';
import type { Metric } from '../metric.js';
import { rowAccumulator, allRows, type RowStore } from '../ci/row-store.js';
import { midranks } from '../compare/delong.js';
import { MetricInputError } from '../metric-input-error.js';
import { badScore, checkKey, column, rowWhere, toScore } from '../metrics/columns.js';
import { correlationFrom, type CorrelationResult } from './pearson.js';
import type { RegressionKeys } from './regression-sums.js';

/** Options of `spearman`. */
export interface SpearmanOptions extends Omit<RegressionKeys, 'nonFinite'> {
  /** Bound on rows kept in memory. Default 10^7. */
  readonly maxRows?: number;
}

/**
 * Spearman correlation (fewer than 2 rows is an error; a constant column gives NaN).
 *
 * Reads `pred`, `target` (and `mask`); writes `{ statistic, p_value }` under `name` (default
 * `'spearmanr'`). Static.
 *
 * @example
 * const m = spearman({ pred: 'x', target: 'y' });
 * @throws OptionsError on bad options; MetricInputError on non-finite values or more than `maxRows` rows.
 */
export function spearman(options: SpearmanOptions): Metric<RowStore, CorrelationResult> {
  const name = options.name ?? 'spearmanr';
  checkKey(name, 'pred', options.pred);
  checkKey(name, 'target', options.target);
  const maxRows = options.maxRows ?? 1e7;
  const keys = [options.pred, options.target, ...(options.mask === undefined ? [] : [options.mask]), ...(options.idKey === undefined ? [] : [options.idKey])];
  return {
    name,
    ...rowAccumulator(name, maxRows, keys),
    compute(store) {
      const data = allRows(store);
      const xs: number[] = [];
      const ys: number[] = [];
      if (store.rows > 0) {
        const p = column(data, options.pred, name);
        const t = column(data, options.target, name);
        const m = options.mask === undefined ? undefined : column(data, options.mask, name);
        for (let i = 0; i < store.rows; i++) {
          if (m !== undefined && !m[i]) continue;
          const x = toScore(p[i]);
          const y = toScore(t[i]);
          if (!Number.isFinite(x)) badScore(name, p[i], rowWhere(data, i, options.pred, options.idKey));
          if (!Number.isFinite(y)) badScore(name, t[i], rowWhere(data, i, options.target, options.idKey));
          xs.push(x);
          ys.push(y);
        }
      }
      const n = xs.length;
      if (n < 2) throw new MetricInputError(name, `needs at least 2 rows, got ${n}`);
      const rx = Array.from(midranks(Float64Array.from(xs)));
      const ry = Array.from(midranks(Float64Array.from(ys)));
      if (rx.every((v) => v === rx[0]) || ry.every((v) => v === ry[0])) return { statistic: Number.NaN, p_value: Number.NaN };
      const r = sampleCorrelation(rx, ry);
      // p-value from r through the same t test as Pearson's (sxy/sqrt(sxx·syy) = r with unit sums).
      return correlationFrom(n, r, 1, 1);
    },
  };
}
