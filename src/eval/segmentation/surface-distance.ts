/**
 * Average symmetric surface distance (ASSD) per label between predicted and target masks, in
 * physical units: MONAI's `compute_average_surface_distance(symmetric=True)` — surfaces = mask
 * XOR erosion, exact Euclidean distance transform with spacing, and the mean of the distances
 * from each surface to the other, both directions pooled. Averaged per label over samples whose
 * target has the label.
 */
import type { Metric } from '../metric.js';
import { squaredDistanceTransform, surface } from './distance-transform.js';
import type { Volume } from './label-volumes.js';
import { surfaceMetric, type SurfaceMetricOptions, type SurfaceMetricState } from './surface-metric.js';

/** Options of `surfaceDistance`. */
export type SurfaceDistanceOptions = SurfaceMetricOptions;

/** Distances (unsorted) from each voxel of surface `sa` to the nearest voxel of surface `sb`. */
export function directedSurfaceDistances(sa: Uint8Array, sb: Uint8Array, v: Volume): Float64Array {
  const d2 = squaredDistanceTransform(sb, v.shape, v.spacing);
  const out: number[] = [];
  for (let i = 0; i < sa.length; i++) if (sa[i]) out.push(Math.sqrt(d2[i] as number));
  return Float64Array.from(out);
}

/**
 * The average symmetric surface distance between two non-empty masks of one geometry.
 *
 * @example
 * averageSurfaceDistance(predMask, truthMask, { data: predMask, shape: [20, 24, 28], spacing: [2.5, 1, 0.8] });
 */
export function averageSurfaceDistance(a: Uint8Array, b: Uint8Array, v: Volume): number {
  const sa = surface(a, v.shape);
  const sb = surface(b, v.shape);
  const ab = directedSurfaceDistances(sa, sb, v);
  const ba = directedSurfaceDistances(sb, sa, v);
  let sum = 0;
  for (const d of ab) sum += d;
  for (const d of ba) sum += d;
  return sum / (ab.length + ba.length);
}

/**
 * ASSD per label.
 *
 * Reads `pred`, `target` volumes; writes `{ <label>: distance, average }` under `name` (default
 * `'assd'`). Static. A sample whose prediction lacks a target label has no defined distance: it
 * is left out of that label and counted (`status().skipped`), as `hausdorff` does.
 *
 * @example
 * const m = surfaceDistance({ pred: 'seg', target: 'label' });
 * @throws OptionsError on bad options; MetricInputError on a shape mismatch or no scorable sample.
 */
export function surfaceDistance(options: SurfaceDistanceOptions): Metric<SurfaceMetricState, Record<string, number>> {
  return surfaceMetric(options.name ?? 'assd', options, averageSurfaceDistance);
}
