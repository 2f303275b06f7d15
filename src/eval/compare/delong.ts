/**
 * DeLong's test for two correlated AUCs (DeLong, DeLong & Clarke-Pearson 1988) with the fast
 * O(n log n) midrank algorithm of Sun & Xu (IEEE SPL 2014), and DeLong confidence intervals.
 * Needs every score, so rows are kept in memory up to `maxRows`.
 */
import { OptionsError } from '../../core/errors.js';
import type { Metric } from '../metric.js';
import { MetricInputError } from '../metric-input-error.js';
import { rowAccumulator, allRows, type RowStore } from '../ci/row-store.js';
import { BinaryTarget } from '../metrics/binary-rows.js';
import { badScore, badTarget, checkKey, column, rowWhere, toScore, type Label } from '../metrics/columns.js';
import { normalQuantile, twoSidedP } from '../stats/normal.js';

/** Options of `delongTest`. */
export interface DelongTestOptions {
  /** Result name. Default 'delongs_test'. */
  readonly name?: string;
  /** Scores of model 1 and model 2 (positive class). */
  readonly pred1: string;
  readonly pred2: string;
  readonly target: string;
  readonly classNames?: readonly Label[];
  readonly positive?: Label;
  /** Confidence level of the per-model AUC intervals, percent. Default 95. */
  readonly confInterval?: number;
  /** Bound on rows kept in memory. Default 10^7. */
  readonly maxRows?: number;
  readonly idKey?: string;
}

/** Result of DeLong's test (FuseMedML's keys plus per-model CIs). */
export interface DelongResult {
  readonly p_value: number;
  readonly z: number;
  readonly auc1: number;
  readonly auc2: number;
  readonly cov11: number;
  readonly cov12: number;
  readonly cov22: number;
  readonly auc1_conf_lower: number;
  readonly auc1_conf_upper: number;
  readonly auc2_conf_lower: number;
  readonly auc2_conf_upper: number;
}

/** 1-based midranks of `x` (ties get the mean rank). */
export function midranks(x: Float64Array): Float64Array {
  const n = x.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => (x[i] as number) - (x[j] as number));
  const out = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j < n && x[order[j] as number] === x[order[i] as number]) j++;
    const r = 0.5 * (i + j - 1) + 1;
    for (let k = i; k < j; k++) out[order[k] as number] = r;
    i = j;
  }
  return out;
}

/** AUCs and their DeLong covariance matrix for `k` score vectors over the same rows. */
export function delongCovariance(scores: readonly Float64Array[], labels: Uint8Array): { aucs: number[]; cov: number[][] } {
  const pos: number[] = [];
  const neg: number[] = [];
  labels.forEach((y, i) => (y === 1 ? pos : neg).push(i));
  const m = pos.length;
  const n = neg.length;
  const v01: Float64Array[] = [];
  const v10: Float64Array[] = [];
  const aucs: number[] = [];
  for (const s of scores) {
    const X = Float64Array.from(pos, (i) => s[i] as number);
    const Y = Float64Array.from(neg, (i) => s[i] as number);
    const Z = new Float64Array(m + n);
    Z.set(X);
    Z.set(Y, m);
    const tx = midranks(X);
    const ty = midranks(Y);
    const tz = midranks(Z);
    let sum = 0;
    for (let i = 0; i < m; i++) sum += tz[i] as number;
    aucs.push(sum / m / n - (m + 1) / (2 * n));
    v01.push(Float64Array.from(tx, (t, i) => ((tz[i] as number) - t) / n));
    v10.push(Float64Array.from(ty, (t, j) => 1 - ((tz[m + j] as number) - t) / m));
  }
  const cov = (a: Float64Array, b: Float64Array): number => {
    const len = a.length;
    let ma = 0;
    let mb = 0;
    for (let i = 0; i < len; i++) {
      ma += a[i] as number;
      mb += b[i] as number;
    }
    ma /= len;
    mb /= len;
    let s = 0;
    for (let i = 0; i < len; i++) s += ((a[i] as number) - ma) * ((b[i] as number) - mb);
    return s / (len - 1);
  };
  const k = scores.length;
  const out: number[][] = [];
  for (let a = 0; a < k; a++) {
    const row: number[] = [];
    for (let b = 0; b < k; b++) row.push(cov(v01[a] as Float64Array, v01[b] as Float64Array) / m + cov(v10[a] as Float64Array, v10[b] as Float64Array) / n);
    out.push(row);
  }
  return { aucs, cov: out };
}

/**
 * DeLong's paired test of two models' AUCs.
 *
 * Reads `pred1`, `pred2`, `target`; writes a `DelongResult` under `name` (default
 * `'delongs_test'`). Static. Two-sided normal p-value; a zero variance gives z = 0, p = 1 when
 * the AUCs are equal (else z = ±Infinity, p = 0).
 *
 * @example
 * const m = delongTest({ pred1: 'a', pred2: 'b', target: 'y' });
 * @throws OptionsError on bad options; MetricInputError on bad input, fewer than 2 rows of a class, or more than `maxRows` rows.
 */
export function delongTest(options: DelongTestOptions): Metric<RowStore, DelongResult> {
  const name = options.name ?? 'delongs_test';
  for (const k of ['pred1', 'pred2', 'target'] as const) checkKey(name, k, options[k]);
  const conf = options.confInterval ?? 95;
  if (!(conf > 0 && conf < 100)) throw new OptionsError(`${name}: confInterval must be in (0, 100)`);
  const maxRows = options.maxRows ?? 1e7;
  const target = new BinaryTarget({ pred: options.pred1, ...options }, name);
  const keys = [options.pred1, options.pred2, options.target, ...(options.idKey === undefined ? [] : [options.idKey])];
  return {
    name,
    ...rowAccumulator(name, maxRows, keys),
    compute(store) {
      const data = allRows(store);
      const n = store.rows;
      const t = n === 0 ? [] : column(data, options.target, name);
      const labels = new Uint8Array(n);
      const s1 = new Float64Array(n);
      const s2 = new Float64Array(n);
      const preds = n === 0 ? [] : [column(data, options.pred1, name), column(data, options.pred2, name)];
      for (let i = 0; i < n; i++) {
        const y = target.label(t[i]);
        if (y < 0) badTarget(name, t[i], target.classNames, rowWhere(data, i, options.target, options.idKey));
        labels[i] = y;
        [s1, s2].forEach((s, k) => {
          const v = toScore((preds[k] as ArrayLike<unknown>)[i]);
          if (!Number.isFinite(v)) badScore(name, (preds[k] as ArrayLike<unknown>)[i], rowWhere(data, i, k === 0 ? options.pred1 : options.pred2, options.idKey));
          s[i] = v;
        });
      }
      const P = labels.reduce((a, y) => a + y, 0);
      if (P < 2 || n - P < 2) throw new MetricInputError(name, `needs at least 2 positive and 2 negative rows, got ${P} and ${n - P}`);
      const { aucs, cov } = delongCovariance([s1, s2], labels);
      const [auc1, auc2] = aucs as [number, number];
      const c11 = (cov[0] as number[])[0] as number;
      const c12 = (cov[0] as number[])[1] as number;
      const c22 = (cov[1] as number[])[1] as number;
      const v = c11 + c22 - 2 * c12;
      const diff = auc1 - auc2;
      const z = v > 0 ? diff / Math.sqrt(v) : diff === 0 ? 0 : Math.sign(diff) * Infinity;
      const q = normalQuantile(1 - (1 - conf / 100) / 2);
      const ci = (a: number, c: number): [number, number] => [Math.max(0, a - q * Math.sqrt(c)), Math.min(1, a + q * Math.sqrt(c))];
      const [l1, u1] = ci(auc1, c11);
      const [l2, u2] = ci(auc2, c22);
      return { p_value: twoSidedP(z), z, auc1, auc2, cov11: c11, cov12: c12, cov22: c22, auc1_conf_lower: l1, auc1_conf_upper: u1, auc2_conf_lower: l2, auc2_conf_upper: u2 };
    },
  };
}
