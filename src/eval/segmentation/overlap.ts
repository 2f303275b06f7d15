/**
 * Overlap coefficient per label, |P ∩ T| / min(|P|, |T|), averaged over samples.
 */
import type { Metric } from '../metric.js';
import type { SegmentationKeys } from './label-volumes.js';
import { overlapMetric, type OverlapResult, type OverlapState, type OverlapWeights } from './overlap-metric.js';

/**
 * Overlap (Szymkiewicz–Simpson) per label (FuseMedML's `MetricOverlap`, per-label masks; 0 when
 * the prediction lacks the label).
 *
 * Reads `pred` and `target` volumes; writes `{ <label>: overlap, average }` under `name`
 * (default `'overlap'`). Static.
 *
 * @example
 * const m = overlap({ pred: 'seg', target: 'label' });
 * @throws OptionsError on bad options; MetricInputError on a shape mismatch or no labelled sample.
 */
export function overlap(options: SegmentationKeys & OverlapWeights): Metric<OverlapState, OverlapResult> {
  return overlapMetric('overlap', options, (inter, p, t) => (Math.min(p, t) === 0 ? 0 : inter / Math.min(p, t)));
}
