/**
 * The ROC curve of a binary score: false and true positive rates at each distinct score (one
 * point per histogram bin; exactly sklearn's points when each bin holds one score value).
 */
import type { Metric } from '../metric.js';
import { rankingConfig, rankingParts, requireBothClasses, type RankingOptions } from './ranking-metric.js';
import { rocPoints } from './histogram-summary.js';
import type { ScoreHistogramState } from './score-histogram.js';

/** Options of `rocCurve`. */
export type RocCurveOptions = Omit<RankingOptions, 'maxPasses' | 'budgetBytes'>;

/** A ROC curve. `thresholds[0]` is +Infinity (the (0, 0) point). */
export interface RocCurve {
  readonly fpr: readonly number[];
  readonly tpr: readonly number[];
  readonly thresholds: readonly number[];
  readonly auc: number;
  /** True when every point is at an exact distinct score (no bin mixes scores). */
  readonly exact: boolean;
}

/**
 * ROC curve points with their AUC (the exact AUC when refinement ran).
 *
 * Reads `pred` and `target`; writes `{ fpr, tpr, thresholds, auc, exact }` under `name`
 * (default `'roc'`). Static. The curve has at most 2^bits + 1 points (bounded whatever n).
 *
 * @example
 * const m = rocCurve({ pred: 'p', target: 'y' });
 * m.compute(m.update(m.init(), { p: [0.1, 0.9], y: [0, 1] }), {}).tpr; // [0, 1, 1]
 * @throws OptionsError on bad options; MetricInputError on bad input or a single-class input.
 */
export function rocCurve(options: RocCurveOptions): Metric<ScoreHistogramState, RocCurve> {
  const name = options.name ?? 'roc';
  const cfg = rankingConfig(name, { ...options, maxPasses: 0 }, undefined);
  const parts = rankingParts(name, cfg);
  return {
    name,
    init: () => parts.init(),
    update: (state, batch) => parts.update(state, batch),
    merge: (a, b) => parts.merge(a, b),
    status: (state) => parts.status(state),
    compute(state: ScoreHistogramState): RocCurve {
      const s = requireBothClasses(name, state);
      const pts = rocPoints(state);
      return { ...pts, auc: s.auc };
    },
  };
}
