/**
 * Hausdorff distance per label between predicted and target masks, in physical units: the
 * `percentile`-th (default 95; 100 = the classic maximum) of the surface-to-surface distances,
 * the larger of the two directions (MONAI's `compute_hausdorff_distance`: surfaces = mask XOR
 * erosion, exact Euclidean distance transform with spacing, numpy's linear percentile).
 * Averaged per label over samples whose target has the label.
 */
import { OptionsError } from '../../core/errors.js';
import type { Metric } from '../metric.js';
import { MetricInputError } from '../metric-input-error.js';
import { squaredDistanceTransform, surface } from './distance-transform.js';
import { addLabelScore, labelMeans, mergeLabelSums, type LabelSums } from './label-sums.js';
import { labelsOf, volumeReader, type SegmentationKeys, type Volume } from './label-volumes.js';

/** Options of `hausdorff`. */
export interface HausdorffOptions extends SegmentationKeys {
  /** Percentile of surface distances, in (0, 100]. Default 95. */
  readonly percentile?: number;
  /** Voxel spacing in x, y(, z) order, overriding the volumes' own. Default: the Image's spacing, else 1. */
  readonly spacing?: readonly number[];
}

/** Per-label sums, and samples left out because the prediction lacked the label. */
export interface HausdorffState extends LabelSums {
  missing: number;
}

/** numpy's default (linear) percentile of sorted values. */
export function percentileLinear(sorted: Float64Array, p: number): number {
  const h = ((sorted.length - 1) * p) / 100;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return (sorted[lo] as number) + (h - lo) * ((sorted[hi] as number) - (sorted[lo] as number));
}

/** Directed distances from the surface of `a` to the surface of `b`. */
function directed(sa: Uint8Array, sb: Uint8Array, v: Volume): Float64Array {
  const d2 = squaredDistanceTransform(sb, v.shape, v.spacing);
  const out: number[] = [];
  for (let i = 0; i < sa.length; i++) if (sa[i]) out.push(Math.sqrt(d2[i] as number));
  return Float64Array.from(out).sort();
}

/** Hausdorff distance (at a percentile) between two masks of one volume geometry. */
export function hausdorffDistance(a: Uint8Array, b: Uint8Array, v: Volume, percentile: number): number {
  const sa = surface(a, v.shape);
  const sb = surface(b, v.shape);
  return Math.max(percentileLinear(directed(sa, sb, v), percentile), percentileLinear(directed(sb, sa, v), percentile));
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
  const read = volumeReader(name, options, options.spacing);
  return {
    name,
    init: () => ({ sum: new Map(), count: new Map(), missing: 0 }),
    update(state, batch) {
      for (const { pred, target } of read(batch)) {
        if (options.spacing !== undefined && options.spacing.length !== target.shape.length) throw new OptionsError(`${name}: spacing has ${options.spacing.length} values for a ${target.shape.length}-D volume`);
        for (const l of options.labels ?? labelsOf(target)) {
          const a = Uint8Array.from({ length: pred.data.length }, (_, i) => (pred.data[i] === l ? 1 : 0));
          const b = Uint8Array.from({ length: target.data.length }, (_, i) => (target.data[i] === l ? 1 : 0));
          if (!b.includes(1)) continue;
          if (!a.includes(1)) {
            state.missing++;
            continue;
          }
          addLabelScore(state, l, hausdorffDistance(a, b, target, percentile));
        }
      }
      return state;
    },
    merge: (x, y) => ({ ...mergeLabelSums(x, y), missing: x.missing + y.missing }),
    compute(state) {
      if (state.count.size === 0) throw new MetricInputError(name, `no sample with a label in both prediction and target (${state.missing} left out for a missing predicted label)`);
      return labelMeans(state);
    },
    status: (s) => ({ exact: true, bound: 0, skipped: s.missing, passes: 0 }),
  };
}
