/**
 * Per-label overlap scores (Dice, IoU) averaged over samples: a label's score is the mean over
 * the samples whose target contains it (FuseMedML's `average_sample_results`), and `average` is
 * the mean over labels. Exact sums per label: bounded by the number of labels.
 */
import { OptionsError } from '../../core/errors.js';
import type { Metric } from '../metric.js';
import { MetricInputError } from '../metric-input-error.js';
import { column, rowWhere } from '../metrics/columns.js';
import { addLabelScore, labelMeans, mergeLabelSums, type LabelSums } from './label-sums.js';
import { asVolume, labelsOf, volumeReader, type SegmentationKeys } from './label-volumes.js';

/** Weights of the overlap metrics (FuseMedML's `pixel_weight` and `class_weights`). */
export interface OverlapWeights {
  /**
   * Column of per-sample pixel weights: a volume of the target's shape (used for every label), or
   * an object of such volumes keyed by label as a string (FuseMedML's dict; a label without an
   * entry is unweighted). Counts become weighted sums: |P ∩ T| = Σ w·p·t, |P| = Σ w·p, |T| = Σ w·t
   * (per-label masks; FuseMedML's weighted IoU/overlap/pixel accuracy use the whole label arrays,
   * which agrees for binary masks). Default none.
   */
  readonly pixelWeight?: string;
  /** Weight per label (as a string) in `average`: Σ w_l·m_l / Σ w_l (see `labelMeans`). Default: the plain mean. */
  readonly classWeights?: Readonly<Record<string, number>>;
}

/** Sums per label. */
export type OverlapState = LabelSums;

/** Result: one score per label (key = label as a string) and `average`. */
export type OverlapResult = Readonly<Record<string, number>>;

/** A per-label overlap metric from a score of (|P ∩ T|, |P|, |T|). */
export function overlapMetric(
  defaultName: string,
  o: SegmentationKeys & OverlapWeights,
  score: (inter: number, p: number, t: number) => number,
): Metric<OverlapState, OverlapResult> {
  const name = o.name ?? defaultName;
  const read = volumeReader(name, o);
  if (o.classWeights !== undefined && !Object.values(o.classWeights).every((w) => Number.isFinite(w) && w >= 0))
    throw new OptionsError(`${name}: classWeights must be non-negative finite numbers`);
  /** The weights of `label` in row `row` of the batch, or undefined (unweighted). */
  const weightsOf = (batch: Parameters<Metric['update']>[1], row: number, label: number, n: number): ArrayLike<number> | undefined => {
    if (o.pixelWeight === undefined) return undefined;
    const v = column(batch, o.pixelWeight, name)[row];
    const bad = (): MetricInputError =>
      new MetricInputError(name, 'pixel weights must be a volume or an object of volumes keyed by label', rowWhere(batch, row, o.pixelWeight as string, o.idKey));
    let entry = asVolume(v, undefined);
    if (entry === undefined) {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad();
      const perLabel = (v as Readonly<Record<string, unknown>>)[String(label)];
      if (perLabel === undefined || perLabel === null) return undefined; // no entry: unweighted (FuseMedML's None)
      entry = asVolume(perLabel, undefined);
      if (entry === undefined) throw bad();
    }
    if (entry.data.length !== n)
      throw new MetricInputError(name, `pixel weights have ${entry.data.length} values for a volume of ${n}`, rowWhere(batch, row, o.pixelWeight, o.idKey));
    return entry.data;
  };
  return {
    name,
    init: () => ({ sum: new Map(), count: new Map() }),
    update(state, batch) {
      for (const { pred, target, row } of read(batch)) {
        const labels = o.labels ?? labelsOf(target);
        for (const l of labels) {
          const w = weightsOf(batch, row, l, target.data.length);
          let inter = 0;
          let np = 0;
          let nt = 0;
          let present = false;
          for (let i = 0; i < target.data.length; i++) {
            const a = pred.data[i] === l || (l === 1 && (pred.data[i] as unknown) === true);
            const b = target.data[i] === l || (l === 1 && (target.data[i] as unknown) === true);
            const wi = w === undefined ? 1 : (w[i] as number);
            if (a) np += wi;
            if (b) {
              nt += wi;
              present = true;
            }
            if (a && b) inter += wi;
          }
          if (!present) continue;
          addLabelScore(state, l, score(inter, np, nt));
        }
      }
      return state;
    },
    merge: mergeLabelSums,
    compute(state) {
      if (state.count.size === 0) throw new MetricInputError(name, 'no sample had any target label (empty input?)');
      try {
        return labelMeans(state, o.classWeights);
      } catch (err) {
        throw new MetricInputError(name, (err as Error).message);
      }
    },
  };
}
