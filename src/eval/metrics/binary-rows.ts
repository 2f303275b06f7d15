/**
 * Reads the rows of a binary metric from a batch: finite scores and 0/1 labels, with the
 * non-finite policy applied and targets checked against the class set.
 */
import type { EvalBatch } from '../metric.js';
import { ClassIndex, badScore, badTarget, column, labelKey, rowCount, rowWhere, toScore, type Label, type NonFinitePolicy } from './columns.js';
import { MetricInputError } from '../metric-input-error.js';

/** Keys and class options of a binary metric. */
export interface BinaryKeys {
  /** Column of positive-class scores (probabilities or any monotone score). */
  readonly pred: string;
  /** Column of targets. */
  readonly target: string;
  /**
   * The positive class: a label value, or with `classNames` a class name or index. Default:
   * 1 for the binary class set {0, 1}; the last class when `classNames` is given.
   */
  readonly positive?: Label;
  /** The class set; targets outside it are an error. Default {0, 1} (or any label when only `positive` is given). */
  readonly classNames?: readonly Label[];
  /** Column of sample ids, used in error messages. Default none. */
  readonly idKey?: string;
  /** Rows with a NaN or infinite score: `'error'` (default) or `'skip'` (dropped and counted). */
  readonly nonFinite?: NonFinitePolicy;
}

/** Decides positive / negative / outside for target values. */
export class BinaryTarget {
  private readonly index: ClassIndex | undefined;
  private readonly positiveIndex: number;
  private readonly positiveKey: string | undefined;
  readonly classNames: readonly string[];

  constructor(keys: BinaryKeys, metric: string) {
    if (keys.classNames === undefined && keys.positive !== undefined && !['0', '1'].includes(labelKey(keys.positive) ?? '')) {
      // Any label other than the positive one is negative.
      this.index = undefined;
      this.positiveIndex = -1;
      this.positiveKey = labelKey(keys.positive);
      this.classNames = [`not ${String(keys.positive)}`, String(keys.positive)];
      return;
    }
    this.index = new ClassIndex(keys.classNames, metric);
    this.classNames = this.index.classNames;
    this.positiveKey = undefined;
    if (keys.positive === undefined) this.positiveIndex = this.index.classNames.length - 1;
    else {
      const i = this.index.indexOf(keys.positive);
      if (i < 0) throw new MetricInputError(metric, `positive class ${String(keys.positive)} is not in [${this.index.classNames.join(', ')}]`);
      this.positiveIndex = i;
    }
  }

  /** 1 positive, 0 negative, -1 outside the class set. */
  label(v: unknown): number {
    if (this.index === undefined) {
      const k = labelKey(v);
      if (k === undefined || k === '') return -1;
      return k === this.positiveKey ? 1 : 0;
    }
    const i = this.index.indexOf(v);
    if (i < 0) return -1;
    return i === this.positiveIndex ? 1 : 0;
  }

  /** True when the fast typed-array path applies (class set {0,1}, positive 1). */
  get isDefault01(): boolean {
    return this.index !== undefined && this.classNames.length === 2 && this.classNames[0] === '0' && this.classNames[1] === '1' && this.positiveIndex === 1;
  }
}

/** Rows of one batch ready for a binary state. */
export interface BinaryRows {
  readonly scores: Float64Array | Float32Array;
  /** 1 positive, 0 negative (the target column itself when it is a typed 0/1 array). */
  readonly labels: ArrayLike<number>;
  readonly n: number;
  readonly skipped: number;
}

/** True for typed arrays of numbers (not BigInt arrays, not DataView). */
export function isTypedNumeric(a: ArrayLike<unknown>): a is ArrayLike<number> {
  return ArrayBuffer.isView(a) && !(a instanceof DataView) && !(a instanceof BigInt64Array) && !(a instanceof BigUint64Array);
}

/** Extracts the rows of `batch` for a binary metric. */
export function binaryRows(batch: EvalBatch, keys: BinaryKeys, target: BinaryTarget, metric: string, rowOffset = 0): BinaryRows {
  const where = (i: number, key: string): { key: string; row: number; sampleId?: string } => {
    const w = rowWhere(batch, i, key, keys.idKey);
    return { ...w, row: w.row + rowOffset };
  };
  const n = rowCount(batch, [keys.pred, keys.target], metric);
  const predCol = column(batch, keys.pred, metric);
  const targetCol = column(batch, keys.target, metric);
  const policy = keys.nonFinite ?? 'error';
  // Fast path: typed scores and typed 0/1 targets are used as they are (one checking loop).
  if ((predCol instanceof Float32Array || predCol instanceof Float64Array) && isTypedNumeric(targetCol) && target.isDefault01) {
    let ok = true;
    for (let i = 0; i < n; i++) {
      const t = targetCol[i] as number;
      const v = predCol[i] as number;
      if ((t !== 0 && t !== 1) || v - v !== 0) {
        ok = false;
        break;
      }
    }
    if (ok) return { scores: predCol, labels: targetCol, n, skipped: 0 };
  }
  const labels = new Uint8Array(n);
  const scores = new Float64Array(n);
  let m = 0;
  let skipped = 0;
  for (let i = 0; i < n; i++) {
    const v = toScore(predCol[i]);
    const y = target.label(targetCol[i]);
    if (y < 0) badTarget(metric, targetCol[i], target.classNames, where(i, keys.target));
    if (!Number.isFinite(v)) {
      if (policy === 'skip') {
        skipped++;
        continue;
      }
      badScore(metric, predCol[i], where(i, keys.pred));
    }
    scores[m] = v;
    labels[m] = y;
    m++;
  }
  return { scores, labels, n: m, skipped };
}
