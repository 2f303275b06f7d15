/**
 * Log loss (cross-entropy) of predicted probabilities, as scikit-learn 1.2's `log_loss`:
 * probabilities clipped to [ε, 1 − ε] (ε = 2^-52; binary: p clipped, then [1 − p, p]), each row
 * renormalised to sum 1.
 */
import type { Metric } from '../metric.js';
import { MetricInputError } from '../metric-input-error.js';
import { ExactSum } from '../stats/exact-sum.js';
import { probReader, type ProbKeys } from './prob-rows.js';

/** Options of `logLoss`. */
export type LogLossOptions = ProbKeys;

/** Exact sum of per-row losses and the row count. */
export interface LogLossState {
  readonly sum: ExactSum;
  rows: number;
  skipped: number;
}

const EPS = 2.220446049250313e-16;
const clip = (p: number): number => Math.min(Math.max(p, EPS), 1 - EPS);

/**
 * Mean log loss.
 *
 * Reads `pred` (binary) or `preds` (multi-class) and `target`; writes a number under `name`
 * (default `'logloss'`). Static; exactly rounded sums merge bit for bit.
 *
 * @example
 * const m = logLoss({ pred: 'p', target: 'y' });
 * m.compute(m.update(m.init(), { p: [0.9, 0.1], y: [1, 0] }), {}); // −ln 0.9 ≈ 0.10536
 * @throws OptionsError on bad options; MetricInputError on bad input or no rows.
 */
export function logLoss(options: LogLossOptions): Metric<LogLossState, number> {
  const name = options.name ?? 'logloss';
  const reader = probReader(name, options);
  return {
    name,
    init: () => ({ sum: new ExactSum(), rows: 0, skipped: 0 }),
    update(state, batch) {
      const r = reader.read(batch);
      for (let i = 0; i < r.n; i++) {
        const y = r.truth[i] as number;
        let loss: number;
        if (r.k === 1) {
          const q1 = clip(r.probs[i] as number);
          const q0 = 1 - q1;
          loss = -Math.log((y === 1 ? q1 : q0) / (q0 + q1));
        } else {
          let s = 0;
          for (let c = 0; c < r.k; c++) s += clip(r.probs[i * r.k + c] as number);
          loss = -Math.log(clip(r.probs[i * r.k + y] as number) / s);
        }
        state.sum.add(loss);
      }
      state.rows += r.n;
      state.skipped += r.skipped;
      return state;
    },
    merge: (a, b) => ({ sum: a.sum.clone().addSum(b.sum), rows: a.rows + b.rows, skipped: a.skipped + b.skipped }),
    compute(s) {
      if (s.rows === 0) throw new MetricInputError(name, 'no rows to evaluate (empty input, or every row skipped)');
      return s.sum.value() / s.rows;
    },
    status: (s) => ({ exact: true, bound: 0, skipped: s.skipped, passes: 0 }),
  };
}
