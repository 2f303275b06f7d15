/**
 * Reads per-sample segmentation volumes from a batch column: a `Tensor` / `Image` (shape
 * slowest-first, Image spacing in x, y, z order) or a flat typed array with an explicit shape.
 * Labels are the non-zero values (booleans count as label 1).
 */
import { OptionsError } from '../../core/errors.js';
import { isTensor } from '../../core/tensor.js';
import type { EvalBatch } from '../metric.js';
import { MetricInputError } from '../metric-input-error.js';
import { checkKey, column, rowCount, rowWhere } from '../metrics/columns.js';

/** Keys shared by the segmentation metrics. */
export interface SegmentationKeys {
  /** Result name. Default: the metric's name. */
  readonly name?: string;
  /** Column of predicted label volumes (one per row). */
  readonly pred: string;
  /** Column of target label volumes. */
  readonly target: string;
  /** Labels to score. Default: the non-zero labels present in each sample's target. */
  readonly labels?: readonly number[];
  readonly idKey?: string;
}

/** One volume: values, shape (slowest first) and spacing per shape axis. */
export interface Volume {
  readonly data: ArrayLike<number>;
  readonly shape: readonly number[];
  readonly spacing: readonly number[];
}

/** A Tensor/Image or nested-array value as a Volume, or undefined when it is neither. */
export function asVolume(v: unknown, spacingOverride: readonly number[] | undefined): Volume | undefined {
  if (isTensor(v)) {
    const shape = v.shape;
    const img = v as unknown as { spacing?: readonly number[] };
    const spacing = spacingOverride !== undefined ? [...spacingOverride].reverse() : img.spacing !== undefined ? [...img.spacing].reverse() : shape.map(() => 1);
    return { data: v.data, shape, spacing };
  }
  if (Array.isArray(v) && v.length > 0 && Array.isArray(v[0])) {
    // Nested arrays (2D or 3D).
    const shape: number[] = [];
    let cur: unknown = v;
    while (Array.isArray(cur)) {
      shape.push(cur.length);
      cur = cur[0];
    }
    const flat = (v as unknown[]).flat<unknown[], number>(shape.length);
    const data = Float64Array.from(flat, (x) => (x === true ? 1 : x === false ? 0 : Number(x)));
    return { data, shape, spacing: spacingOverride !== undefined ? [...spacingOverride].reverse() : shape.map(() => 1) };
  }
  return undefined;
}

/** Validated keys plus a reader of (pred, target) volume pairs. */
export function volumeReader(
  metric: string,
  o: SegmentationKeys,
  spacing?: readonly number[],
): (batch: EvalBatch) => { pred: Volume; target: Volume; row: number; where: () => { key: string; row: number; sampleId?: string } }[] {
  if (o === null || typeof o !== 'object') throw new OptionsError(`${metric}: options must be an object`);
  checkKey(metric, 'pred', o.pred);
  checkKey(metric, 'target', o.target);
  if (o.labels !== undefined && !o.labels.every((l) => Number.isInteger(l) && l > 0)) throw new OptionsError(`${metric}: labels must be positive integers`);
  if (spacing !== undefined && !spacing.every((s) => s > 0 && Number.isFinite(s))) throw new OptionsError(`${metric}: spacing must be positive numbers`);
  return (batch) => {
    const n = rowCount(batch, [o.pred, o.target], metric);
    const p = column(batch, o.pred, metric);
    const t = column(batch, o.target, metric);
    const out = [];
    for (let i = 0; i < n; i++) {
      const pv = asVolume(p[i], spacing);
      const tv = asVolume(t[i], spacing);
      if (pv === undefined || tv === undefined) {
        throw new MetricInputError(metric, 'expected a Tensor/Image or nested array volume per row', rowWhere(batch, i, pv === undefined ? o.pred : o.target, o.idKey));
      }
      if (pv.shape.join('x') !== tv.shape.join('x')) {
        throw new MetricInputError(metric, `prediction shape [${pv.shape.join(', ')}] differs from target shape [${tv.shape.join(', ')}]`, rowWhere(batch, i, o.pred, o.idKey));
      }
      out.push({ pred: pv, target: tv, row: i, where: () => rowWhere(batch, i, o.target, o.idKey) });
    }
    return out;
  };
}

/** Non-zero labels of a volume, ascending. */
export function labelsOf(v: Volume): number[] {
  const seen = new Set<number>();
  for (let i = 0; i < v.data.length; i++) {
    const x = v.data[i] as number;
    if (x !== 0) seen.add(x);
  }
  return [...seen].sort((a, b) => a - b);
}
