/**
 * Means over cases of per-case scores, for confidence intervals over cases: a mergeable metric
 * over rows whose columns are `<score>/<label>` (one row per case; NaN where a case has no
 * score). Result: per score, the mean per label over the cases where it is defined, and
 * `average`, the mean over labels of those means.
 */
import type { Metric } from '../metric.js';
import { MetricInputError } from '../metric-input-error.js';
import { ExactSum } from '../stats/exact-sum.js';

/** Options of {@link caseMeans}. */
export interface CaseMeansOptions {
  /** Result name; default `'segmentation'`. */
  readonly name?: string;
  /** Score names (the part of a column before the `/`), in output order. */
  readonly scores: readonly string[];
  /** Labels (the part after the `/`), in output order. */
  readonly labels: readonly string[];
}

/** Per column: exact sum and count of the finite values. */
export type CaseMeansState = Map<string, { readonly sum: ExactSum; count: number }>;

/**
 * Mean of each `<score>/<label>` column over cases.
 *
 * Reads the `<score>/<label>` columns; writes `{ <score>: { <label>: mean, average } }`. Static.
 * Merge: sums and counts add.
 *
 * @example
 * const m = caseMeans({ scores: ['dice'], labels: ['1', '2'] }); // rows { 'dice/1': …, 'dice/2': … }
 * @throws MetricInputError when a score has no defined value at all.
 */
export function caseMeans(options: CaseMeansOptions): Metric<CaseMeansState, Record<string, Record<string, number>>> {
  const name = options.name ?? 'segmentation';
  const columns = options.scores.flatMap((s) => options.labels.map((l) => `${s}/${l}`));
  return {
    name,
    init: () => new Map(columns.map((c) => [c, { sum: new ExactSum(), count: 0 }])),
    update(state, batch) {
      for (const c of columns) {
        const col = batch[c] as ArrayLike<number> | undefined;
        if (col === undefined) throw new MetricInputError(name, `no column '${c}'`, { key: c });
        const acc = state.get(c) as { sum: ExactSum; count: number };
        for (let i = 0; i < col.length; i++) {
          const v = col[i] as number;
          if (!Number.isFinite(v)) continue;
          acc.sum.add(v);
          acc.count++;
        }
      }
      return state;
    },
    merge(a, b) {
      const out: CaseMeansState = new Map();
      for (const c of columns) {
        const x = a.get(c) as { sum: ExactSum; count: number };
        const y = b.get(c) as { sum: ExactSum; count: number };
        out.set(c, { sum: new ExactSum().addSum(x.sum).addSum(y.sum), count: x.count + y.count });
      }
      return out;
    },
    compute(state) {
      const out: Record<string, Record<string, number>> = {};
      for (const s of options.scores) {
        const per: Record<string, number> = {};
        let total = 0;
        let defined = 0;
        for (const l of options.labels) {
          const acc = state.get(`${s}/${l}`) as { sum: ExactSum; count: number };
          const mean = acc.count === 0 ? Number.NaN : acc.sum.value() / acc.count;
          per[l] = mean;
          if (Number.isFinite(mean)) {
            total += mean;
            defined++;
          }
        }
        if (defined === 0) throw new MetricInputError(name, `no case has a defined ${s}`);
        per['average'] = total / defined;
        out[s] = per;
      }
      return out;
    },
  };
}
