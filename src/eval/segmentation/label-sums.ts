/**
 * Per-label means over samples, shared by the segmentation metrics (Dice, IoU, Hausdorff): exact
 * sums and sample counts per label, merged label by label; the result holds one mean per label
 * (key = label as a string) and `average`, the mean over labels. Bounded by the number of labels.
 */
import { ExactSum } from '../stats/exact-sum.js';

/** Exact sums and sample counts per label. */
export interface LabelSums {
  readonly sum: Map<number, ExactSum>;
  readonly count: Map<number, number>;
}

/** Adds one sample's score for `label` (mutates `state`). */
export function addLabelScore(state: LabelSums, label: number, value: number): void {
  const s = state.sum.get(label) ?? new ExactSum();
  s.add(value);
  state.sum.set(label, s);
  state.count.set(label, (state.count.get(label) ?? 0) + 1);
}

/** New sums holding both states' samples. */
export function mergeLabelSums(a: LabelSums, b: LabelSums): LabelSums {
  const sum = new Map<number, ExactSum>();
  const count = new Map<number, number>();
  for (const x of [a, b]) {
    for (const [l, s] of x.sum) sum.set(l, (sum.get(l) ?? new ExactSum()).addSum(s));
    for (const [l, c] of x.count) count.set(l, (count.get(l) ?? 0) + c);
  }
  return { sum, count };
}

/**
 * The mean per label (labels in ascending order) and `average`, the mean of those means — or,
 * with `classWeights` (label as a string → weight), their weighted mean Σ w_l·m_l / Σ w_l.
 * FuseMedML's `average_sample_results` divides Σ w_l·m_l by the number of labels instead; the two
 * agree when the weights sum to the label count (e.g. all 1).
 *
 * @throws Error naming a scored label without a weight (the caller turns it into its error type).
 */
export function labelMeans(state: LabelSums, classWeights?: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  let total = 0;
  let weight = 0;
  const labels = [...state.count.keys()].sort((x, y) => x - y);
  for (const l of labels) {
    const v = (state.sum.get(l) as ExactSum).value() / (state.count.get(l) as number);
    out[String(l)] = v;
    const w = classWeights === undefined ? 1 : classWeights[String(l)];
    if (w === undefined) throw new Error(`no class weight for label ${l} (classWeights has ${Object.keys(classWeights ?? {}).join(', ')})`);
    total += w * v;
    weight += w;
  }
  out['average'] = total / weight;
  return out;
}
