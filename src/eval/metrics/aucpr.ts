/**
 * Area under the precision-recall curve as average precision: sum over thresholds of
 * (R_k - R_k-1) · P_k, scikit-learn's `average_precision_score` step definition.
 */
import type { Metric } from '../metric.js';
import { rankingConfig, rankingParts, requireBothClasses, type RankingOptions } from './ranking-metric.js';
import { replicateRanking } from './histogram-bootstrap.js';
import type { ScoreHistogramState } from './score-histogram.js';

/** Options of `aucPr`. */
export type AucPrOptions = RankingOptions;

/**
 * Average precision (AUC-PR) of a binary score.
 *
 * Reads `pred` and `target`; writes under `name` (default `'aucpr'`). Static. Exact after
 * refinement (ties grouped as one threshold); `status` gives the bound otherwise.
 *
 * @example
 * const m = aucPr({ pred: 'pred', target: 'target' });
 * m.compute(m.update(m.init(), { pred: [0.1, 0.4, 0.35, 0.8], target: [0, 0, 1, 1] }), {}); // 0.8333…
 * @throws OptionsError on bad options; MetricInputError on bad input or a single-class input.
 */
export function aucPr(options: AucPrOptions): Metric<ScoreHistogramState, number> {
  const name = options.name ?? 'aucpr';
  const cfg = rankingConfig(name, options, undefined);
  return {
    name,
    ...rankingParts(name, cfg),
    compute(state: ScoreHistogramState): number {
      return requireBothClasses(name, state).ap;
    },
    replicate: (state, rng) => replicateRanking(state, rng).ap,
  };
}
