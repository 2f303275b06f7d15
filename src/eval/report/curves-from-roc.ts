/**
 * The report's ROC and precision-recall curves from one ROC curve and the class counts behind
 * it: every ROC point is a threshold with tp = tpr·P and fp = fpr·N, so the PR point at that
 * threshold is recall = tp/P, precision = tp/(tp + fp) (scikit-learn's `precision_recall_curve`
 * points, with its (recall 0, precision 1) start).
 */
import { rocBand, type RocPoints } from './roc-band.js';
import type { ReportPr, ReportRoc } from './report-input.js';
import { DEFAULT_SEED } from '../ci/default-seed.js';

/** Options of {@link curvesFromRoc}. */
export interface CurvesFromRocOptions {
  /** AUC to print in the legend; default the trapezoid area of the curve. */
  readonly auc?: number;
  /** Average precision to print in the legend; default computed from the PR points. */
  readonly ap?: number;
  /** Bootstrap replicates of the ROC band; 0 for no band; default 200. */
  readonly bandReplicates?: number;
  /** Seed of the band; default `DEFAULT_SEED` (1234). */
  readonly seed?: number;
}

/**
 * ROC (with band) and PR curves for one class.
 *
 * @example
 * const { roc, pr } = curvesFromRoc('positive', { fpr: [0, 0, 1], tpr: [0, 1, 1] }, 3, 5);
 * @throws OptionsError from `rocBand` when the counts or curve are invalid.
 */
export function curvesFromRoc(label: string, curve: RocPoints, positives: number, negatives: number, options: CurvesFromRocOptions = {}): { roc: ReportRoc; pr: ReportPr } {
  const recall = [0];
  const precision = [1];
  let ap = 0;
  for (let i = 1; i < curve.fpr.length; i++) {
    const tp = Math.round((curve.tpr[i] as number) * positives);
    const fp = Math.round((curve.fpr[i] as number) * negatives);
    if (tp + fp === 0) continue;
    const r = tp / positives;
    const p = tp / (tp + fp);
    ap += (r - (recall[recall.length - 1] as number)) * p;
    recall.push(r);
    precision.push(p);
  }
  let area = 0;
  for (let i = 1; i < curve.fpr.length; i++) {
    area += (((curve.fpr[i] as number) - (curve.fpr[i - 1] as number)) * ((curve.tpr[i] as number) + (curve.tpr[i - 1] as number))) / 2;
  }
  const replicates = options.bandReplicates ?? 200;
  const band = replicates > 0 ? rocBand(curve, { positives, negatives, replicates, seed: options.seed ?? DEFAULT_SEED }) : undefined;
  return {
    roc: { label, fpr: curve.fpr, tpr: curve.tpr, auc: options.auc ?? area, ...(band === undefined ? {} : { band }) },
    pr: { label, recall, precision, ap: options.ap ?? ap, baseline: positives / (positives + negatives) },
  };
}
