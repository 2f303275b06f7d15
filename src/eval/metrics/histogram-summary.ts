/**
 * Reading the score histogram: AUC, average precision and the standardized partial AUC with
 * their bounds, and ROC points. Small states (raw rows) are summarized exactly from their tie
 * groups; dense ones bin by bin, using refined bins where the passes ran.
 */
import { totals, type ScoreHistogramState, type SmallRows } from './score-histogram.js';

/** What the state says about AUC-ROC, average precision and their bounds. */
export interface RankingSummary {
  readonly positives: number;
  readonly negatives: number;
  readonly auc: number;
  readonly aucBound: number;
  readonly ap: number;
  readonly apBound: number;
  /** Standardized partial AUC (McClish), when `maxFpr` is set. */
  readonly partialAuc: number | undefined;
  readonly partialAucBound: number | undefined;
  readonly exact: boolean;
}

/** Reads AUC, AP and partial AUC off the state (exact where every open bin was refined). */
export function summarize(state: ScoreHistogramState): RankingSummary {
  if (state.small !== null) return summarizeSmall(state, state.small);
  const { P, N } = totals(state);
  const { pos, neg, min, max } = state;
  let tp = 0;
  let fp = 0;
  let pairs2 = 0;
  let boundPairs2 = 0;
  let ap = 0;
  let apLoose = 0;
  const clipFp = state.config.maxFpr === undefined ? undefined : state.config.maxFpr * N;
  let area = 0;
  let areaBound = 0;
  let clipDone = false;
  for (let b = pos.length - 1; b >= 0; b--) {
    const p = pos[b] as number;
    const q = neg[b] as number;
    if (p === 0 && q === 0) continue;
    const below = N - fp - q;
    const single = (min[b] as number) === (max[b] as number);
    const r = state.refined.get(b);
    let within: number;
    let withinBound = 0;
    if (single || p === 0 || q === 0) within = p * q;
    else if (r !== undefined) within = r.pairs2;
    else {
      within = p * q;
      withinBound = p * q;
    }
    pairs2 += 2 * p * below + within;
    boundPairs2 += withinBound;
    // Average precision.
    if (p > 0) {
      if (single || (r === undefined && p === 1 && q === 0)) ap += p * ((tp + p) / (tp + p + fp + q));
      else if (r !== undefined) ap += r.apSum;
      else if (q === 0 && p > 1 && !single) {
        // Positives only, distinct values: precision rises from (tp+1)/(tp+1+fp) to (tp+p)/(tp+p+fp).
        const lo = (tp + 1) / (tp + 1 + fp);
        const hi = (tp + p) / (tp + p + fp);
        ap += (p * (lo + hi)) / 2;
        apLoose += (p * (hi - lo)) / 2;
      } else {
        const lo = (tp + 1) / (tp + 1 + fp + q);
        const hi = (tp + p) / (tp + p + fp);
        ap += (p * (lo + hi)) / 2;
        apLoose += (p * (hi - lo)) / 2;
      }
    }
    // Partial ROC area up to clipFp.
    if (clipFp !== undefined && !clipDone) {
      if (fp + q <= clipFp) {
        area += q * tp + within / 2;
        areaBound += withinBound / 2;
      } else {
        if (q > 0 && (single || p === 0)) {
          const t = (clipFp - fp) / q;
          area += ((clipFp - fp) * (tp + tp + p * t)) / 2;
        } else if (r !== undefined && r.clipArea !== undefined) {
          area += r.clipArea;
        } else {
          // Unknown path inside the bin: the area lies between the two extreme paths.
          const w = clipFp - fp;
          const lo = w * tp;
          const hi = w * (tp + p);
          area += (lo + hi) / 2;
          areaBound += (hi - lo) / 2;
        }
        clipDone = true;
      }
    }
    tp += p;
    fp += q;
  }
  const denom = 2 * P * N;
  const auc = pairs2 / denom;
  const aucBound = boundPairs2 / denom;
  let partialAuc: number | undefined;
  let partialAucBound: number | undefined;
  if (clipFp !== undefined && state.config.maxFpr !== undefined) {
    const m = state.config.maxFpr;
    if (m === 1) {
      partialAuc = auc;
      partialAucBound = aucBound;
    } else {
      const pa = area / (P * N);
      const minArea = 0.5 * m * m;
      const maxArea = m;
      partialAuc = 0.5 * (1 + (pa - minArea) / (maxArea - minArea));
      partialAucBound = ((areaBound / (P * N)) * 0.5) / (maxArea - minArea);
    }
  }
  return {
    positives: P,
    negatives: N,
    auc,
    aucBound,
    ap: ap / P,
    apBound: apLoose / P,
    partialAuc,
    partialAucBound,
    exact: boundPairs2 === 0 && apLoose === 0 && (partialAucBound === undefined || partialAucBound === 0),
  };
}

/** Distinct score values of small rows, descending, with their class counts. */
export function tieGroups(small: SmallRows): { values: number[]; pos: number[]; neg: number[] } {
  const order = small.scores.map((_, i) => i).sort((i, j) => (small.scores[j] as number) - (small.scores[i] as number));
  const values: number[] = [];
  const pos: number[] = [];
  const neg: number[] = [];
  for (const i of order) {
    const v = small.scores[i] as number;
    if (values.length === 0 || values[values.length - 1] !== v) {
      values.push(v);
      pos.push(0);
      neg.push(0);
    }
    const k = values.length - 1;
    if (small.labels[i] === 1) pos[k] = (pos[k] as number) + 1;
    else neg[k] = (neg[k] as number) + 1;
  }
  return { values, pos, neg };
}

function standardize(area: number, P: number, N: number, m: number): number {
  const pa = area / (P * N);
  const minArea = 0.5 * m * m;
  return 0.5 * (1 + (pa - minArea) / (m - minArea));
}

/** Exact summary of a small state: walk the distinct scores from the top. */
function summarizeSmall(state: ScoreHistogramState, small: SmallRows): RankingSummary {
  const g = tieGroups(small);
  let P = 0;
  let N = 0;
  for (let k = 0; k < g.values.length; k++) {
    P += g.pos[k] as number;
    N += g.neg[k] as number;
  }
  const clipFp = state.config.maxFpr === undefined ? undefined : state.config.maxFpr * N;
  let tp = 0;
  let fp = 0;
  let pairs2 = 0;
  let ap = 0;
  let area = 0;
  for (let k = 0; k < g.values.length; k++) {
    const dp = g.pos[k] as number;
    const dn = g.neg[k] as number;
    pairs2 += dn * (2 * tp + dp);
    const tp0 = tp;
    const fp0 = fp;
    tp += dp;
    fp += dn;
    if (dp > 0) ap += dp * (tp / (tp + fp));
    if (clipFp !== undefined && fp0 < clipFp) {
      if (fp <= clipFp) area += (dn * (tp0 + tp)) / 2;
      else area += ((clipFp - fp0) * (tp0 + tp0 + dp * ((clipFp - fp0) / dn))) / 2;
    }
  }
  const auc = pairs2 / (2 * P * N);
  const m = state.config.maxFpr;
  const partialAuc = m === undefined ? undefined : m === 1 ? auc : standardize(area, P, N, m);
  return { positives: P, negatives: N, auc, aucBound: 0, ap: ap / P, apBound: 0, partialAuc, partialAucBound: m === undefined ? undefined : 0, exact: true };
}

/** ROC points at bin boundaries (exact thresholds where a bin is one value). */
export function rocPoints(state: ScoreHistogramState): { fpr: number[]; tpr: number[]; thresholds: number[]; exact: boolean } {
  const { P, N } = totals(state);
  const fpr = [0];
  const tpr = [0];
  const thresholds = [Infinity];
  let tp = 0;
  let fp = 0;
  let exact = true;
  if (state.small !== null) {
    const g = tieGroups(state.small);
    g.values.forEach((v, k) => {
      tp += g.pos[k] as number;
      fp += g.neg[k] as number;
      fpr.push(fp / N);
      tpr.push(tp / P);
      thresholds.push(v);
    });
    return { fpr, tpr, thresholds, exact };
  }
  for (let b = state.pos.length - 1; b >= 0; b--) {
    const p = state.pos[b] as number;
    const q = state.neg[b] as number;
    if (p === 0 && q === 0) continue;
    if ((state.min[b] as number) !== (state.max[b] as number)) exact = false;
    tp += p;
    fp += q;
    fpr.push(fp / N);
    tpr.push(tp / P);
    thresholds.push(state.min[b] as number);
  }
  return { fpr, tpr, thresholds, exact };
}
