/**
 * Detection precision and recall of instance masks at IoU thresholds, as FuseMedML's
 * `MetricDetectionPrecision` / `MetricDetectionRecall` compute them from per-sample IoU matrices
 * (its `calculate_precision` / `calculate_recall`): in each sample, every ground-truth instance
 * takes its best IoU with any predicted instance; the instances whose best IoU is strictly above
 * the threshold are detected; precision = detected / predicted instances, recall = detected /
 * ground-truth instances; both are averaged over samples. (Like FuseMedML, a predicted instance
 * may detect several ground-truth instances: there is no one-to-one matching.)
 *
 * Instances: each distinct non-zero value of a sample's label volume is one instance. A sample
 * without predicted instances has no precision, one without ground-truth instances no recall:
 * they are left out of that mean and counted.
 */
import { OptionsError } from '../../core/errors.js';
import type { Metric } from '../metric.js';
import { MetricInputError } from '../metric-input-error.js';
import { volumeReader, type SegmentationKeys } from './label-volumes.js';

/** Options of {@link instanceDetection}. */
export interface InstanceDetectionOptions extends Omit<SegmentationKeys, 'labels'> {
  /** IoU thresholds, each in [0, 1); default [0.5] (FuseMedML's). */
  readonly thresholds?: readonly number[];
}

/** Per threshold: sums of per-sample precision and recall and the samples counted. */
export interface InstanceDetectionState {
  readonly precision: Float64Array;
  readonly recall: Float64Array;
  precisionSamples: number;
  recallSamples: number;
  noPrediction: number;
  noTruth: number;
}

/** Result: per threshold (as a string) the mean precision and recall, and the samples left out. */
export interface InstanceDetectionResult {
  readonly precision: Readonly<Record<string, number>>;
  readonly recall: Readonly<Record<string, number>>;
  /** Samples without predicted instances (no precision) and without ground-truth instances (no recall). */
  readonly left_out: { readonly no_prediction: number; readonly no_truth: number };
}

/**
 * The IoU matrix `[pred instance][truth instance]` of two instance label volumes, with the
 * instance values in ascending order.
 *
 * @example
 * instanceIou([1, 1, 2, 0], [1, 0, 2, 2]); // { iou: [[0.5, 0], [0, 0.5]], pred: [1, 2], truth: [1, 2] }
 */
export function instanceIou(pred: ArrayLike<number>, truth: ArrayLike<number>): { iou: number[][]; pred: number[]; truth: number[] } {
  const sizes = (v: ArrayLike<number>): Map<number, number> => {
    const m = new Map<number, number>();
    for (let i = 0; i < v.length; i++) {
      const x = v[i] as number;
      if (x !== 0) m.set(x, (m.get(x) ?? 0) + 1);
    }
    return m;
  };
  const ps = sizes(pred);
  const ts = sizes(truth);
  const pIds = [...ps.keys()].sort((a, b) => a - b);
  const tIds = [...ts.keys()].sort((a, b) => a - b);
  const pIndex = new Map(pIds.map((id, k) => [id, k]));
  const tIndex = new Map(tIds.map((id, k) => [id, k]));
  const inter = pIds.map(() => new Float64Array(tIds.length));
  for (let i = 0; i < truth.length; i++) {
    const p = pred[i] as number;
    const t = truth[i] as number;
    if (p === 0 || t === 0) continue;
    const row = inter[pIndex.get(p) as number] as Float64Array;
    const k = tIndex.get(t) as number;
    row[k] = (row[k] as number) + 1;
  }
  const iou = pIds.map((p, a) =>
    tIds.map((t, b) => {
      const n = (inter[a] as Float64Array)[b] as number;
      return n / ((ps.get(p) as number) + (ts.get(t) as number) - n);
    }),
  );
  return { iou, pred: pIds, truth: tIds };
}

/**
 * Detection precision and recall of instance masks.
 *
 * Reads per-sample instance label volumes from `pred` and `target`; writes an
 * {@link InstanceDetectionResult} under `name` (default `'detection'`). Static; mergeable (sums
 * per threshold).
 *
 * @example
 * const m = instanceDetection({ pred: 'instances', target: 'truth', thresholds: [0.5, 0.75] });
 * @throws OptionsError for bad thresholds; MetricInputError on a shape mismatch or no sample with instances.
 */
export function instanceDetection(options: InstanceDetectionOptions): Metric<InstanceDetectionState, InstanceDetectionResult> {
  const name = options.name ?? 'detection';
  const thresholds = options.thresholds ?? [0.5];
  if (thresholds.length === 0 || !thresholds.every((t) => Number.isFinite(t) && t >= 0 && t < 1)) throw new OptionsError(`${name}: thresholds must be numbers in [0, 1)`);
  const read = volumeReader(name, options);
  return {
    name,
    init: () => ({
      precision: new Float64Array(thresholds.length),
      recall: new Float64Array(thresholds.length),
      precisionSamples: 0,
      recallSamples: 0,
      noPrediction: 0,
      noTruth: 0,
    }),
    update(state, batch) {
      for (const { pred, target } of read(batch)) {
        const m = instanceIou(pred.data, target.data);
        const best = m.truth.map((_, b) => m.iou.reduce((x, row) => Math.max(x, row[b] as number), 0));
        if (m.pred.length === 0) state.noPrediction++;
        else state.precisionSamples++;
        if (m.truth.length === 0) state.noTruth++;
        else state.recallSamples++;
        thresholds.forEach((t, k) => {
          const detected = best.filter((v) => v > t).length;
          if (m.pred.length > 0) state.precision[k] = (state.precision[k] as number) + detected / m.pred.length;
          if (m.truth.length > 0) state.recall[k] = (state.recall[k] as number) + detected / m.truth.length;
        });
      }
      return state;
    },
    merge: (a, b) => ({
      precision: a.precision.map((v, k) => v + (b.precision[k] as number)),
      recall: a.recall.map((v, k) => v + (b.recall[k] as number)),
      precisionSamples: a.precisionSamples + b.precisionSamples,
      recallSamples: a.recallSamples + b.recallSamples,
      noPrediction: a.noPrediction + b.noPrediction,
      noTruth: a.noTruth + b.noTruth,
    }),
    compute(s) {
      if (s.precisionSamples === 0 && s.recallSamples === 0) throw new MetricInputError(name, 'no sample holds any instance');
      const per = (sums: Float64Array, n: number): Record<string, number> =>
        Object.fromEntries(thresholds.map((t, k) => [String(t), n === 0 ? Number.NaN : (sums[k] as number) / n]));
      return { precision: per(s.precision, s.precisionSamples), recall: per(s.recall, s.recallSamples), left_out: { no_prediction: s.noPrediction, no_truth: s.noTruth } };
    },
    status: (s) => ({ exact: true, bound: 0, skipped: s.noPrediction + s.noTruth, passes: 0 }),
  };
}
