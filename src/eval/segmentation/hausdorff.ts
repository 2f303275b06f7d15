/**
 * Hausdorff distance per label between predicted and target masks, in physical units: the
 * `percentile`-th (default 95; 100 = the classic maximum) of the surface-to-surface distances,
 * the larger of the two directions (MONAI's `compute_hausdorff_distance`: surfaces = mask XOR
 * erosion, exact Euclidean distance transform with spacing, numpy's linear percentile).
 * Averaged per label over samples whose target has the label.
 */
import { OptionsError } from '../../core/errors.js';
import type { Metric } from '../metric.js';
import { surface } from './distance-transform.js';
import type { Volume } from './label-volumes.js';
import { directedSurfaceDistances } from './surface-distance.js';
import { surfaceMetric, type SurfaceMetricOptions, type SurfaceMetricState } from './surface-metric.js';

/** Options of `hausdorff`. */
export interface HausdorffOptions extends SurfaceMetricOptions {
  /** Percentile of surface distances, in (0, 100]. Default 95. */
  readonly percentile?: number;
}

/** Per-label sums, and samples left out because the prediction lacked the label. */
export type HausdorffState = SurfaceMetricState;

/** numpy's default (linear) percentile of sorted values. */
export function percentileLinear(sorted: Float64Array, p: number): number {
  const h = ((sorted.length - 1) * p) / 100;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return (sorted[lo] as number) + (h - lo) * ((sorted[hi] as number) - (sorted[lo] as number));
}

/** Hausdorff distance (at a percentile) between two masks of one volume geometry. */
export function hausdorffDistance(a: Uint8Array, b: Uint8Array, v: Volume, percentile: number): number {
  const sa = surface(a, v.shape);
  const sb = surface(b, v.shape);
  return Math.max(percentileLinear(directedSurfaceDistances(sa, sb, v).sort(), percentile), percentileLinear(directedSurfaceDistances(sb, sa, v).sort(), percentile));
}

/**
 * Hausdorff distance per label.
 *
 * Reads `pred`, `target` volumes; writes `{ <label>: distance, average }` under `name` (default
 * `'hausdorff95'`, or `'hausdorff'` at percentile 100). Static. A sample whose prediction lacks
 * a target label has no defined distance: it is left out of that label and counted
 * (`status().skipped`).
 *
 * @example
 * const m = hausdorff({ pred: 'seg', target: 'label', percentile: 95 });
 * @throws OptionsError on bad options; MetricInputError on a shape mismatch or no scorable sample.
 */
export function hausdorff(options: HausdorffOptions): Metric<HausdorffState, Record<string, number>> {
  const percentile = options.percentile ?? 95;
  if (!(percentile > 0 && percentile <= 100)) throw new OptionsError(`hausdorff: percentile must be in (0, 100], got ${String(options.percentile)}`);
  const name = options.name ?? (percentile === 100 ? 'hausdorff' : `hausdorff${percentile}`);
  return surfaceMetric(name, options, (a, b, v) => hausdorffDistance(a, b, v, percentile));
}
