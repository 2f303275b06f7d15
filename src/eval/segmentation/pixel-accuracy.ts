/**
 * Pixel accuracy per label, |P ∩ T| / |T| (the label's recall), averaged over samples.
 */
import type { Metric } from '../metric.js';
import type { SegmentationKeys } from './label-volumes.js';
import { overlapMetric, type OverlapResult, type OverlapState, type OverlapWeights } from './overlap-metric.js';

/**
 * Pixel accuracy per label (FuseMedML's `MetricPixelAccuracy`, per-label masks).
 *
 * Reads `pred` and `target` volumes; writes `{ <label>: accuracy, average }` under `name`
 * (default `'pixel_accuracy'`). Static.
 *
 * @example
 * const m = pixelAccuracy({ pred: 'seg', target: 'label' });
 * @throws OptionsError on bad options; MetricInputError on a shape mismatch or no labelled sample.
 */
export function pixelAccuracy(options: SegmentationKeys & OverlapWeights): Metric<OverlapState, OverlapResult> {
  return overlapMetric('pixel_accuracy', options, (inter, _p, t) => inter / t);
}
