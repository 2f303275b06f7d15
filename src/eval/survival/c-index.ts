/**
 * Harrell's concordance index for survival predictions, O(n log n) with a Fenwick tree over
 * score ranks. A higher score means a higher risk (FuseMedML's `MetricCIndex`, which scores the
 * concordance of −pred). A pair (i, j) is comparable when T_i < T_j and i had the event; it is
 * concordant when score_i > score_j; tied scores count one half. Pairs with equal times are not
 * comparable. Events after `followUp` are censored at it. Rows are kept up to `maxRows`.
 */
import { OptionsError } from '../../core/errors.js';
import type { Metric } from '../metric.js';
import { MetricInputError } from '../metric-input-error.js';
import { rowAccumulator, allRows, type RowStore } from '../ci/row-store.js';
import { badScore, checkKey, column, labelKey, rowWhere, toScore } from '../metrics/columns.js';

/** Options of `cIndex`. */
export interface CIndexOptions {
  /** Result name. Default 'c_index'. */
  readonly name?: string;
  /** Column of risk scores (higher = earlier event). */
  readonly pred: string;
  /** Column of event or censoring times. */
  readonly eventTime: string;
  /** Column of event indicators (1/true = event observed, 0/false = censored). */
  readonly eventObserved: string;
  /** Censor everything after this time. Default none. */
  readonly followUp?: number;
  /** Bound on rows kept in memory. Default 10^7. */
  readonly maxRows?: number;
  readonly idKey?: string;
}

class Fenwick {
  private readonly t: Float64Array;
  constructor(n: number) {
    this.t = new Float64Array(n + 1);
  }
  add(i: number, v: number): void {
    for (i++; i < this.t.length; i += i & -i) this.t[i] = (this.t[i] as number) + v;
  }
  /** Sum over indices < i. */
  prefix(i: number): number {
    let s = 0;
    for (; i > 0; i -= i & -i) s += this.t[i] as number;
    return s;
  }
}

/** Harrell's C from arrays. NaN when no pair is comparable. */
export function harrellC(score: Float64Array, time: Float64Array, event: Uint8Array): { cIndex: number; comparable: number; concordant: number; tied: number } {
  const n = score.length;
  const sortedScores = Float64Array.from(score).sort();
  const ranks: number[] = [];
  const rankOf = (v: number): number => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((sortedScores[mid] as number) < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  for (let i = 0; i < n; i++) ranks.push(rankOf(score[i] as number));
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (time[b] as number) - (time[a] as number));
  const tree = new Fenwick(n);
  const counts = new Float64Array(n + 1);
  let inserted = 0;
  let comparable = 0;
  let concordant = 0;
  let tied = 0;
  let g = 0;
  while (g < n) {
    let h = g;
    while (h < n && time[order[h] as number] === time[order[g] as number]) h++;
    // Rows inserted so far have strictly later times.
    for (let k = g; k < h; k++) {
      const i = order[k] as number;
      if (event[i] !== 1) continue;
      const r = ranks[i] as number;
      const below = tree.prefix(r);
      const equal = counts[r] as number;
      comparable += inserted;
      concordant += below;
      tied += equal;
    }
    for (let k = g; k < h; k++) {
      const r = ranks[order[k] as number] as number;
      tree.add(r, 1);
      counts[r] = (counts[r] as number) + 1;
      inserted++;
    }
    g = h;
  }
  return { cIndex: comparable === 0 ? Number.NaN : (concordant + 0.5 * tied) / comparable, comparable, concordant, tied };
}

/**
 * Concordance index.
 *
 * Reads `pred`, `eventTime`, `eventObserved`; writes a number under `name` (default `'c_index'`).
 * Static.
 *
 * @example
 * const m = cIndex({ pred: 'risk', eventTime: 'time', eventObserved: 'event' });
 * @throws OptionsError on bad options; MetricInputError on bad values, no comparable pair, or more than `maxRows` rows.
 */
export function cIndex(options: CIndexOptions): Metric<RowStore, number> {
  const name = options.name ?? 'c_index';
  for (const k of ['pred', 'eventTime', 'eventObserved'] as const) checkKey(name, k, options[k]);
  if (options.followUp !== undefined && !Number.isFinite(options.followUp)) throw new OptionsError(`${name}: followUp must be a finite number`);
  const maxRows = options.maxRows ?? 1e7;
  const keys = [options.pred, options.eventTime, options.eventObserved, ...(options.idKey === undefined ? [] : [options.idKey])];
  return {
    name,
    ...rowAccumulator(name, maxRows, keys),
    compute(store) {
      const n = store.rows;
      const data = allRows(store);
      const score = new Float64Array(n);
      const time = new Float64Array(n);
      const event = new Uint8Array(n);
      if (n > 0) {
        const p = column(data, options.pred, name);
        const t = column(data, options.eventTime, name);
        const e = column(data, options.eventObserved, name);
        for (let i = 0; i < n; i++) {
          const s = toScore(p[i]);
          const ti = toScore(t[i]);
          const ek = labelKey(e[i]);
          if (!Number.isFinite(s)) badScore(name, p[i], rowWhere(data, i, options.pred, options.idKey));
          if (!Number.isFinite(ti)) badScore(name, t[i], rowWhere(data, i, options.eventTime, options.idKey));
          if (ek !== '0' && ek !== '1')
            throw new MetricInputError(name, `event indicator ${JSON.stringify(e[i])} is not 0/1`, rowWhere(data, i, options.eventObserved, options.idKey));
          score[i] = s;
          let ev = ek === '1' ? 1 : 0;
          let tt = ti;
          if (options.followUp !== undefined && tt > options.followUp) {
            tt = options.followUp;
            ev = 0;
          }
          time[i] = tt;
          event[i] = ev;
        }
      }
      const r = harrellC(score, time, event);
      if (r.comparable === 0) throw new MetricInputError(name, `no comparable pair (${n} rows, ${event.reduce((a, b) => a + b, 0)} events)`);
      return r.cIndex;
    },
  };
}
