/**
 * Dice coefficient per label, 2|P ∩ T| / (|P| + |T|), averaged over samples.
 */
import type { Metric } from '../metric.js';
import type { SegmentationKeys } from './label-volumes.js';
import { overlapMetric, type OverlapResult, type OverlapState, type OverlapWeights } from './overlap-metric.js';

/**
 * Dice per label (FuseMedML's `MetricDice` without pixel weights).
 *
 * Reads per-sample label volumes from `pred` and `target`; writes `{ <label>: dice, average }`
 * under `name` (default `'dice'`). Static.
 *
 * @example
 * const m = dice({ pred: 'seg', target: 'label' });
 * @throws OptionsError on bad options; MetricInputError on a shape mismatch, a non-volume value or no labelled sample.
 */
export function dice(options: SegmentationKeys & OverlapWeights): Metric<OverlapState, OverlapResult> {
  return overlapMetric('dice', options, (inter, p, t) => (p + t === 0 ? 1 : (2 * inter) / (p + t)));
}
