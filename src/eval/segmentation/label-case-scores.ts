/**
 * One case's segmentation scores per label: Dice, IoU, the 95th-percentile Hausdorff distance
 * and average symmetric surface distance, in the volume's physical units (MONAI's definitions,
 * as `dice`, `iou`, `hausdorff` and `surfaceDistance` compute them per sample).
 *
 * Labels scored: `labels` when given, else the non-zero labels of the ground truth. A label the
 * ground truth lacks has no score (NaN: MONAI's `ignore_empty`). A label the ground truth has and
 * the prediction lacks scores Dice 0 and IoU 0, and its distances are undefined (NaN), counted
 * in `missing`.
 */
import { hausdorffDistance } from './hausdorff.js';
import { labelsOf, type Volume } from './label-volumes.js';
import { averageSurfaceDistance } from './surface-distance.js';

/** The scores of the file-level segmentation evaluation, in output order. */
export const LABEL_SCORES = ['dice', 'iou', 'hd95', 'assd'] as const;

/** One of {@link LABEL_SCORES}. */
export type LabelScore = (typeof LABEL_SCORES)[number];

/** One case's scores: per score, per label (as a string). */
export type CaseScores = Readonly<Record<LabelScore, Readonly<Record<string, number>>>>;

/** Options of {@link labelCaseScores}. */
export interface LabelCaseScoresOptions {
  /** Labels to score; default the non-zero labels of the ground truth. */
  readonly labels?: readonly number[];
}

/**
 * Scores of one (prediction, ground truth) pair on one grid.
 *
 * Pure.
 *
 * @example
 * const { scores } = labelCaseScores(pred, truth); // scores.dice['1'], scores.hd95['1'], …
 */
export function labelCaseScores(pred: Volume, truth: Volume, options: LabelCaseScoresOptions = {}): { readonly scores: CaseScores; readonly missing: readonly number[] } {
  const labels = options.labels ?? labelsOf(truth);
  const out: Record<LabelScore, Record<string, number>> = { dice: {}, iou: {}, hd95: {}, assd: {} };
  const missing: number[] = [];
  const n = truth.data.length;
  for (const l of labels) {
    const a = new Uint8Array(n);
    const b = new Uint8Array(n);
    let na = 0;
    let nb = 0;
    let both = 0;
    for (let i = 0; i < n; i++) {
      const p = pred.data[i] === l;
      const t = truth.data[i] === l;
      if (p) {
        a[i] = 1;
        na++;
      }
      if (t) {
        b[i] = 1;
        nb++;
      }
      if (p && t) both++;
    }
    const key = String(l);
    if (nb === 0) {
      for (const s of LABEL_SCORES) out[s][key] = Number.NaN;
      continue;
    }
    out.dice[key] = (2 * both) / (na + nb);
    out.iou[key] = both / (na + nb - both);
    if (na === 0) {
      missing.push(l);
      out.hd95[key] = Number.NaN;
      out.assd[key] = Number.NaN;
      continue;
    }
    out.hd95[key] = hausdorffDistance(a, b, truth, 95);
    out.assd[key] = averageSurfaceDistance(a, b, truth);
  }
  return { scores: out, missing };
}
