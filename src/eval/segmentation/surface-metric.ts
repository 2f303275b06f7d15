/**
 * The per-label metric shape the surface-distance metrics share (Hausdorff, ASSD): for each
 * sample and each label of the target (or the labels asked for), a distance between the
 * predicted and the target mask, averaged per label over samples whose target has the label. A
 * sample whose prediction lacks a target label has no defined distance: it is left out of that
 * label and counted (`status().skipped`).
 */
import { OptionsError } from '../../core/errors.js';
import type { Metric } from '../metric.js';
import { MetricInputError } from '../metric-input-error.js';
import { addLabelScore, labelMeans, mergeLabelSums, type LabelSums } from './label-sums.js';
import { labelsOf, volumeReader, type SegmentationKeys, type Volume } from './label-volumes.js';

/** Per-label sums, and samples left out because the prediction lacked the label. */
export interface SurfaceMetricState extends LabelSums {
  missing: number;
}

/** Options every surface-distance metric takes. */
export interface SurfaceMetricOptions extends SegmentationKeys {
  /** Voxel spacing in x, y(, z) order, overriding the volumes' own. Default: the Image's spacing, else 1. */
  readonly spacing?: readonly number[];
}

/** A distance between two non-empty masks (1 = in the label) of the geometry `v`. */
export type MaskDistance = (a: Uint8Array, b: Uint8Array, v: Volume) => number;

/**
 * The metric `name` scoring each label by `distance`. Static.
 *
 * @example
 * const assd = surfaceMetric('assd', { pred: 'seg', target: 'label' }, averageSurfaceDistance);
 * @throws OptionsError (when run) on a spacing whose length is not the volume's rank;
 *   MetricInputError on a shape mismatch or no scorable sample.
 */
export function surfaceMetric(name: string, options: SurfaceMetricOptions, distance: MaskDistance): Metric<SurfaceMetricState, Record<string, number>> {
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
          addLabelScore(state, l, distance(a, b, target));
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
