/**
 * Exact streaming sums for regression metrics and Pearson's r: n, Σx, Σy, Σx², Σy², Σxy,
 * Σ|y − x|, Σ(y − x)² (x = prediction, y = target), each exactly rounded, so shards merge bit
 * for bit.
 */
import { OptionsError } from '../../core/errors.js';
import type { EvalBatch, Metric } from '../metric.js';
import { MetricInputError } from '../metric-input-error.js';
import { ExactSum } from '../stats/exact-sum.js';
import { badScore, checkKey, checkNonFinite, column, rowCount, rowWhere, toScore, type NonFinitePolicy } from '../metrics/columns.js';

/** Keys of a regression metric. */
export interface RegressionKeys {
  /** Result name. Default: the metric's name. */
  readonly name?: string;
  /** Column of predictions. */
  readonly pred: string;
  /** Column of targets. */
  readonly target: string;
  /** Column of booleans: only rows where it is true count. Default: all rows. */
  readonly mask?: string;
  readonly idKey?: string;
  /** Rows with a non-finite value: 'error' (default) or 'skip' (counted). */
  readonly nonFinite?: NonFinitePolicy;
}

/** The sums. */
export interface RegressionState {
  rows: number;
  skipped: number;
  readonly sx: ExactSum;
  readonly sy: ExactSum;
  readonly sxx: ExactSum;
  readonly syy: ExactSum;
  readonly sxy: ExactSum;
  readonly sae: ExactSum;
  readonly sse: ExactSum;
}

/** init / update / merge / status of the sums. */
export function regressionParts(metric: string, o: RegressionKeys): Pick<Metric<RegressionState>, 'init' | 'update' | 'merge' | 'status'> {
  if (o === null || typeof o !== 'object') throw new OptionsError(`${metric}: options must be an object`);
  checkKey(metric, 'pred', o.pred);
  checkKey(metric, 'target', o.target);
  if (o.mask !== undefined) checkKey(metric, 'mask', o.mask);
  const policy = checkNonFinite(metric, o.nonFinite);
  const keys = [o.pred, o.target, ...(o.mask === undefined ? [] : [o.mask])];
  return {
    init: () => ({
      rows: 0,
      skipped: 0,
      sx: new ExactSum(),
      sy: new ExactSum(),
      sxx: new ExactSum(),
      syy: new ExactSum(),
      sxy: new ExactSum(),
      sae: new ExactSum(),
      sse: new ExactSum(),
    }),
    update(s, batch: EvalBatch) {
      const n = rowCount(batch, keys, metric);
      const p = column(batch, o.pred, metric);
      const t = column(batch, o.target, metric);
      const mask = o.mask === undefined ? undefined : column(batch, o.mask, metric);
      for (let i = 0; i < n; i++) {
        if (mask !== undefined && !mask[i]) continue;
        const x = toScore(p[i]);
        const y = toScore(t[i]);
        if (!Number.isFinite(x) || !Number.isFinite(y)) {
          if (policy === 'skip') {
            s.skipped++;
            continue;
          }
          badScore(metric, Number.isFinite(x) ? t[i] : p[i], rowWhere(batch, i, Number.isFinite(x) ? o.target : o.pred, o.idKey));
        }
        s.rows++;
        s.sx.add(x);
        s.sy.add(y);
        s.sxx.add(x * x);
        s.syy.add(y * y);
        s.sxy.add(x * y);
        s.sae.add(Math.abs(y - x));
        s.sse.add((y - x) * (y - x));
      }
      return s;
    },
    merge: (a, b) => ({
      rows: a.rows + b.rows,
      skipped: a.skipped + b.skipped,
      sx: a.sx.clone().addSum(b.sx),
      sy: a.sy.clone().addSum(b.sy),
      sxx: a.sxx.clone().addSum(b.sxx),
      syy: a.syy.clone().addSum(b.syy),
      sxy: a.sxy.clone().addSum(b.sxy),
      sae: a.sae.clone().addSum(b.sae),
      sse: a.sse.clone().addSum(b.sse),
    }),
    status: (s) => ({ exact: true, bound: 0, skipped: s.skipped, passes: 0 }),
  };
}

/** Rows, or an error when there are none. */
export function requireRegressionRows(metric: string, s: RegressionState, min = 1): number {
  if (s.rows < min) throw new MetricInputError(metric, `needs at least ${min} rows, got ${s.rows}`);
  return s.rows;
}
