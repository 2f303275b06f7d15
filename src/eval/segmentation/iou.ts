/**
 * Intersection over union (Jaccard) per label, |P ∩ T| / |P ∪ T|, averaged over samples.
 */
import type { Metric } from '../metric.js';
import type { SegmentationKeys } from './label-volumes.js';
import { overlapMetric, type OverlapResult, type OverlapState, type OverlapWeights } from './overlap-metric.js';

/**
 * IoU per label (FuseMedML's `MetricIouJaccard`, per-label masks).
 *
 * Reads `pred` and `target` volumes; writes `{ <label>: iou, average }` under `name` (default
 * `'iou'`). Static.
 *
 * @example
 * const m = iou({ pred: 'seg', target: 'label' });
 * @throws OptionsError on bad options; MetricInputError on a shape mismatch or no labelled sample.
 */
export function iou(options: SegmentationKeys & OverlapWeights): Metric<OverlapState, OverlapResult> {
  return overlapMetric('iou', options, (inter, p, t) => (p + t - inter === 0 ? 1 : inter / (p + t - inter)));
}
