/**
 * Reliability diagram: equal-width confidence bins with per-bin counts, accuracy and mean
 * confidence (FuseMedML's `MetricReliabilityDiagram` numbers; the plot is the report's job).
 */
import { OptionsError } from '../../core/errors.js';
import type { Metric } from '../metric.js';
import { MetricInputError } from '../metric-input-error.js';
import { ExactSum } from '../stats/exact-sum.js';
import type { ProbKeys } from '../metrics/prob-rows.js';
import { confidenceReader } from './confidence-rows.js';

/** Options of `reliabilityDiagram`. */
export interface ReliabilityDiagramOptions extends ProbKeys {
  /** Number of equal-width bins on [0, 1]. Default 10. */
  readonly numBins?: number;
}

/** Per-bin exact sums (bounded: numBins entries). */
export interface CalibrationState {
  readonly count: Float64Array;
  readonly correct: Float64Array;
  readonly confidence: ExactSum[];
  skipped: number;
}

/** A reliability diagram. Bins are [lo, hi) except the last, [0.9, 1] for 10 bins. */
export interface ReliabilityDiagram {
  /** Bin edges (numBins + 1). */
  readonly conf_vec: readonly number[];
  readonly mid_confidence_points: readonly number[];
  /** Accuracy per bin (0 for an empty bin, as FuseMedML). */
  readonly accuracy: readonly number[];
  /** Mean confidence per bin (NaN for an empty bin). */
  readonly confidence: readonly number[];
  readonly num_samples_per_bin: readonly number[];
  readonly avg_accuracy: number;
  readonly avg_confidence: number;
  readonly total_samples: number;
}

/** Validates `numBins`. */
export function checkBins(metric: string, v: unknown): number {
  const b = v ?? 10;
  if (typeof b !== 'number' || !Number.isInteger(b) || b < 1 || b > 1e6) throw new OptionsError(`${metric}: numBins must be an integer in [1, 10^6], got ${String(v)}`);
  return b;
}

/** State plumbing shared with `ece`. */
export function calibrationParts(metric: string, keys: ProbKeys, bins: number): Pick<Metric<CalibrationState>, 'init' | 'update' | 'merge' | 'status'> {
  const read = confidenceReader(metric, keys);
  // Edges as numpy's linspace(0, 1, bins + 1) computes them, so values on an edge fall where FuseMedML puts them.
  const edge = (i: number): number => i * (1 / bins);
  const binOf = (c: number): number => {
    let b = Math.min(bins - 1, Math.max(0, Math.floor(c * bins)));
    if (b > 0 && c < edge(b)) b--;
    if (b < bins - 1 && c >= edge(b + 1)) b++;
    return b;
  };
  return {
    init: () => ({ count: new Float64Array(bins), correct: new Float64Array(bins), confidence: Array.from({ length: bins }, () => new ExactSum()), skipped: 0 }),
    update(state, batch) {
      const r = read(batch);
      for (let i = 0; i < r.n; i++) {
        const c = r.confidence[i] as number;
        const b = binOf(c);
        state.count[b] = (state.count[b] as number) + 1;
        state.correct[b] = (state.correct[b] as number) + (r.correct[i] as number);
        (state.confidence[b] as ExactSum).add(c);
      }
      state.skipped += r.skipped;
      return state;
    },
    merge: (a, b) => ({
      count: a.count.map((v, i) => v + (b.count[i] as number)),
      correct: a.correct.map((v, i) => v + (b.correct[i] as number)),
      confidence: a.confidence.map((s, i) => s.clone().addSum(b.confidence[i] as ExactSum)),
      skipped: a.skipped + b.skipped,
    }),
    status: (s) => ({ exact: true, bound: 0, skipped: s.skipped, passes: 0 }),
  };
}

/** The diagram from a state. */
export function diagramOf(metric: string, s: CalibrationState): ReliabilityDiagram {
  const bins = s.count.length;
  const total = s.count.reduce((a, b) => a + b, 0);
  if (total === 0) throw new MetricInputError(metric, 'no rows to evaluate (empty input, or every row skipped)');
  const all = new ExactSum();
  s.confidence.forEach((c) => all.addSum(c));
  const correct = s.correct.reduce((a, b) => a + b, 0);
  return {
    conf_vec: Array.from({ length: bins + 1 }, (_, i) => i * (1 / bins)),
    mid_confidence_points: Array.from({ length: bins }, (_, i) => (i + 0.5) / bins),
    accuracy: Array.from(s.count, (n, i) => (n > 0 ? (s.correct[i] as number) / n : 0)),
    confidence: Array.from(s.count, (n, i) => (n > 0 ? (s.confidence[i] as ExactSum).value() / n : Number.NaN)),
    num_samples_per_bin: Array.from(s.count),
    avg_accuracy: correct / total,
    avg_confidence: all.value() / total,
    total_samples: total,
  };
}

/**
 * Reliability diagram.
 *
 * Reads `pred` (binary) or `preds` and `target`; writes a `ReliabilityDiagram` under `name`
 * (default `'reliability'`). Static; exact bin counts and sums.
 *
 * @example
 * const m = reliabilityDiagram({ preds: ['p0', 'p1', 'p2'], target: 'y', numBins: 10 });
 * @throws OptionsError on bad options; MetricInputError on bad input or no rows.
 */
export function reliabilityDiagram(options: ReliabilityDiagramOptions): Metric<CalibrationState, ReliabilityDiagram> {
  const name = options.name ?? 'reliability';
  const bins = checkBins(name, options.numBins);
  return { name, ...calibrationParts(name, options, bins), compute: (s) => diagramOf(name, s) };
}
