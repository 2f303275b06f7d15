/**
 * Brier score: mean squared distance between predicted probabilities and the one-hot target
 * (binary: (p − y)², scikit-learn's `brier_score_loss`; multi-class: Σ_k (p_k − y_k)²).
 */
import type { EvalBatch, Metric } from '../metric.js';
import { MetricInputError } from '../metric-input-error.js';
import { ExactSum } from '../stats/exact-sum.js';
import { probReader, type ProbKeys, type ProbReader } from './prob-rows.js';

/** Options of `brier`. */
export type BrierOptions = ProbKeys;

/** Exact sums behind the Brier score and the Brier skill score. */
export interface BrierState {
  readonly squared: ExactSum;
  /** Rows per true class. */
  readonly support: Float64Array;
  skipped: number;
}

/** State plumbing shared with `brierSkillScore`. */
export function brierParts(metric: string, reader: ProbReader): Pick<Metric<BrierState>, 'init' | 'update' | 'merge' | 'status'> {
  return {
    init: () => ({ squared: new ExactSum(), support: new Float64Array(reader.classes), skipped: 0 }),
    update(state: BrierState, batch: EvalBatch): BrierState {
      const r = reader.read(batch);
      for (let i = 0; i < r.n; i++) {
        const y = r.truth[i] as number;
        state.support[y] = (state.support[y] as number) + 1;
        if (r.k === 1) {
          const d = (r.probs[i] as number) - y;
          state.squared.add(d * d);
        } else {
          let s = 0;
          for (let c = 0; c < r.k; c++) {
            const d = (r.probs[i * r.k + c] as number) - (c === y ? 1 : 0);
            s += d * d;
          }
          state.squared.add(s);
        }
      }
      state.skipped += r.skipped;
      return state;
    },
    merge: (a, b) => ({ squared: a.squared.clone().addSum(b.squared), support: a.support.map((v, i) => v + (b.support[i] as number)), skipped: a.skipped + b.skipped }),
    status: (s) => ({ exact: true, bound: 0, skipped: s.skipped, passes: 0 }),
  };
  void metric;
}

/** Rows in a state, or an error when empty. */
export function brierRows(metric: string, state: BrierState): number {
  const n = state.support.reduce((a, b) => a + b, 0);
  if (n === 0) throw new MetricInputError(metric, 'no rows to evaluate (empty input, or every row skipped)');
  return n;
}

/**
 * Brier score.
 *
 * Reads `pred` (binary) or `preds` (multi-class) and `target`; writes a number under `name`
 * (default `'brier'`). Static; the sum is exactly rounded, so shards merge bit for bit.
 *
 * @example
 * const m = brier({ pred: 'p', target: 'y' });
 * m.compute(m.update(m.init(), { p: [0.1, 0.9, 0.8, 0.3], y: [0, 1, 1, 0] }), {}); // 0.0375
 * @throws OptionsError on bad options; MetricInputError on bad input or no rows.
 */
export function brier(options: BrierOptions): Metric<BrierState, number> {
  const name = options.name ?? 'brier';
  const reader = probReader(name, options);
  return { name, ...brierParts(name, reader), compute: (s) => s.squared.value() / brierRows(name, s) };
}
