/**
 * Average symmetric surface distance (ASSD) per label between predicted and target masks, in
 * physical units: MONAI's `compute_average_surface_distance(symmetric=True)` — surfaces = mask
 * XOR erosion, exact Euclidean distance transform with spacing, and the mean of the distances
 * from each surface to the other, both directions pooled. Averaged per label over samples whose
 * target has the label.
 */
import type { Metric } from '../metric.js';
import { MetricInputError } from '../metric-input-error.js';
import { OptionsError } from '../../core/errors.js';
import { squaredDistanceTransform, surface } from './distance-transform.js';
import type { HausdorffState } from './hausdorff.js';
import { addLabelScore, labelMeans, mergeLabelSums } from './label-sums.js';
import { labelsOf, volumeReader, type SegmentationKeys, type Volume } from './label-volumes.js';

/** Options of `surfaceDistance`. */
export interface SurfaceDistanceOptions extends SegmentationKeys {
  /** Voxel spacing in x, y(, z) order, overriding the volumes' own. Default: the Image's spacing, else 1. */
  readonly spacing?: readonly number[];
}

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
export function surfaceDistance(options: SurfaceDistanceOptions): Metric<HausdorffState, Record<string, number>> {
  const name = options.name ?? 'assd';
  const read = volumeReader(name, options, options.spacing);
  return {
    name,
    init: () => ({ sum: new Map(), count: new Map(), missing: 0 }),
    update(state, batch) {
      for (const { pred, target } of read(batch)) {
        if (options.spacing !== undefined && options.spacing.length !== target.shape.length)
          throw new OptionsError(`${name}: spacing has ${options.spacing.length} values for a ${target.shape.length}-D volume`);
        for (const l of options.labels ?? labelsOf(target)) {
          const a = Uint8Array.from({ length: pred.data.length }, (_, i) => (pred.data[i] === l ? 1 : 0));
          const b = Uint8Array.from({ length: target.data.length }, (_, i) => (target.data[i] === l ? 1 : 0));
          if (!b.includes(1)) continue;
          if (!a.includes(1)) {
            state.missing++;
            continue;
          }
          addLabelScore(state, l, averageSurfaceDistance(a, b, target));
        }
      }
      return state;
    },
    merge: (x, y) => ({ ...mergeLabelSums(x, y), missing: x.missing + y.missing }),
    compute(state) {
      if (state.count.size === 0)
        throw new MetricInputError(name, `no sample with a label in both prediction and target (${state.missing} left out for a missing predicted label)`);
      return labelMeans(state);
    },
    status: (s) => ({ exact: true, bound: 0, skipped: s.missing, passes: 0 }),
  };
}
