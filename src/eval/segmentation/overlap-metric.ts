/**
 * Per-label overlap scores (Dice, IoU) averaged over samples: a label's score is the mean over
 * the samples whose target contains it (FuseMedML's `average_sample_results`), and `average` is
 * the mean over labels. Exact sums per label: bounded by the number of labels.
 */
import type { Metric } from '../metric.js';
import { MetricInputError } from '../metric-input-error.js';
import { addLabelScore, labelMeans, mergeLabelSums, type LabelSums } from './label-sums.js';
import { labelsOf, volumeReader, type SegmentationKeys } from './label-volumes.js';

/** Sums per label. */
export type OverlapState = LabelSums;

/** Result: one score per label (key = label as a string) and `average`. */
export type OverlapResult = Readonly<Record<string, number>>;

/** A per-label overlap metric from a score of (|P ∩ T|, |P|, |T|). */
export function overlapMetric(defaultName: string, o: SegmentationKeys, score: (inter: number, p: number, t: number) => number): Metric<OverlapState, OverlapResult> {
  const name = o.name ?? defaultName;
  const read = volumeReader(name, o);
  return {
    name,
    init: () => ({ sum: new Map(), count: new Map() }),
    update(state, batch) {
      for (const { pred, target } of read(batch)) {
        const labels = o.labels ?? labelsOf(target);
        for (const l of labels) {
          let inter = 0;
          let np = 0;
          let nt = 0;
          for (let i = 0; i < target.data.length; i++) {
            const a = pred.data[i] === l || (l === 1 && (pred.data[i] as unknown) === true);
            const b = target.data[i] === l || (l === 1 && (target.data[i] as unknown) === true);
            if (a) np++;
            if (b) nt++;
            if (a && b) inter++;
          }
          if (nt === 0) continue;
          addLabelScore(state, l, score(inter, np, nt));
        }
      }
      return state;
    },
    merge: mergeLabelSums,
    compute(state) {
      if (state.count.size === 0) throw new MetricInputError(name, 'no sample had any target label (empty input?)');
      return labelMeans(state);
    },
  };
}
