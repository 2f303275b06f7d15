/**
 * AUC-ROC, exact with ties counted one half (as scikit-learn's `roc_auc_score`), from a score
 * histogram refined in extra passes within a memory budget.
 */
import type { Metric } from '../metric.js';
import { rankingConfig, rankingParts, requireBothClasses, type RankingOptions } from './ranking-metric.js';
import { replicateRanking } from './histogram-bootstrap.js';
import type { ScoreHistogramState } from './score-histogram.js';

/** Options of `auc`. */
export interface AucOptions extends RankingOptions {
  /**
   * Standardized partial AUC up to this false positive rate (McClish 1989, scikit-learn's
   * `max_fpr`). Default undefined: the full AUC.
   */
  readonly maxFpr?: number;
}

/**
 * Area under the ROC curve of a binary score.
 *
 * Reads `pred` (score of the positive class) and `target`; writes the result under `name`
 * (default `'auc'`). Static: no randomness. The result is exact after the refinement passes the
 * budget allows (default: all); `status` says whether it is exact, else its bound.
 *
 * @example
 * const m = auc({ pred: 'pred', target: 'target' });
 * let s = m.update(m.init(), { pred: [0.1, 0.4, 0.35, 0.8], target: [0, 0, 1, 1] });
 * m.compute(s, {}); // 0.75
 * @throws OptionsError on bad options; MetricInputError on a missing column, a target outside
 *   the class set, a non-finite score (unless `nonFinite: 'skip'`) or a single-class input.
 */
export function auc(options: AucOptions): Metric<ScoreHistogramState, number> {
  const name = options.name ?? 'auc';
  const cfg = rankingConfig(name, options, options.maxFpr);
  const metric: Metric<ScoreHistogramState, number> = {
    name,
    ...rankingParts(name, cfg),
    compute(state: ScoreHistogramState): number {
      const s = requireBothClasses(name, state);
      return s.partialAuc ?? s.auc;
    },
  };
  // The histogram bootstrap covers the full AUC; a partial AUC's CI resamples rows instead.
  if (cfg.histogram.maxFpr === undefined) metric.replicate = (state, rng) => replicateRanking(state, rng).auc;
  return metric;
}
