/**
 * AUC-ROC and AUC-PR from one score histogram (one state, one refinement pass for both), so a
 * bootstrap CI of the pair resamples both from the same replicate.
 */
import type { Metric } from '../metric.js';
import { rankingConfig, rankingParts, requireBothClasses, type RankingOptions } from './ranking-metric.js';
import { replicateRanking } from './histogram-bootstrap.js';
import type { ScoreHistogramState } from './score-histogram.js';

/** `{ auc, aucpr }`. */
export interface AucRocPrResult {
  readonly auc: number;
  readonly aucpr: number;
}

/**
 * AUC-ROC and average precision together.
 *
 * Reads `pred` and `target`; writes `{ auc, aucpr }` under `name` (default `'ranking'`). Static;
 * exact after refinement (see `auc`).
 *
 * @example
 * const m = aucRocPr({ pred: 'p', target: 'y' });
 * @throws OptionsError on bad options; MetricInputError on bad input or a single-class input.
 */
export function aucRocPr(options: RankingOptions): Metric<ScoreHistogramState, AucRocPrResult> {
  const name = options.name ?? 'ranking';
  const cfg = rankingConfig(name, options, undefined);
  return {
    name,
    ...rankingParts(name, cfg),
    compute(state) {
      const s = requireBothClasses(name, state);
      return { auc: s.auc, aucpr: s.ap };
    },
    replicate(state, rng) {
      const r = replicateRanking(state, rng);
      return { auc: r.auc, aucpr: r.ap };
    },
  };
}
