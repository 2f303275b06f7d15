/**
 * The metric set bench/eval.ts measures, as a function worker threads can call (a metrics recipe
 * names this module): exact AUC + AUC-PR (one score histogram, refined in extra passes) with a
 * 1,000-replicate bootstrap CI of both.
 */
import type { Metric } from '../../src/eval/metric.js';
import { bootstrapCi } from '../../src/eval/ci/bootstrap-ci.js';
import { aucRocPr } from '../../src/eval/metrics/auc-roc-pr.js';

/** `[bootstrapCi(aucRocPr)]` over columns `pred` and `target`. */
export function rankingCi(replicates: number): Metric[] {
  return [bootstrapCi({ metric: aucRocPr({ pred: 'pred', target: 'target' }), replicates, seed: 1234, name: 'ranking' })];
}
