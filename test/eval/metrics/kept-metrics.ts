/**
 * The metric set of the fused-refinement tests (histogram-kept.test.ts), as a function worker
 * threads can call (a metrics recipe names this module): AUC + AUC-PR with a bootstrap CI, and a
 * partial AUC (max FPR 0.1), over columns `pred` and `target`.
 */
import type { Metric } from '../../../src/eval/metric.js';
import { bootstrapCi } from '../../../src/eval/ci/bootstrap-ci.js';
import { auc } from '../../../src/eval/metrics/auc.js';
import { aucRocPr } from '../../../src/eval/metrics/auc-roc-pr.js';

/** The ranking metrics, with `budgetBytes` for their refinement (default the metrics' own). */
export function keptRanking(budgetBytes?: number): Metric[] {
  const keys = { pred: 'pred', target: 'target', ...(budgetBytes === undefined ? {} : { budgetBytes }) };
  return [bootstrapCi({ metric: aucRocPr(keys), replicates: 50, seed: 7, name: 'ranking' }), auc({ ...keys, maxFpr: 0.1, name: 'pauc' })];
}
