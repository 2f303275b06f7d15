/**
 * Turns batch values (model outputs and targets) into evaluator columns: one entry per sample.
 * A `[N]` or `[N, 1]` tensor becomes a Float32Array; `[N, K]` becomes an array of per-sample
 * Float32Array rows (class scores) plus `<key>_0 … <key>_{K−1}` columns; arrays (ids, strings)
 * pass through.
 */
import { TypeMismatchError } from '../core/errors.js';
import { getKey, type Sample } from '../core/sample.js';
import { isTensor } from '../core/tensor.js';

/** Columns of one batch. */
export type Columns = Record<string, ArrayLike<unknown>>;

/**
 * Adds the column(s) for batch `key` (named `name`) to `out`.
 * @throws {MissingKeyError} for an absent key; {@link TypeMismatchError} for a tensor of rank > 2 (write dense outputs with a segmentation metric instead).
 */
export function addColumns(out: Columns, batch: Sample, key: string, name: string = key): void {
  const value = getKey(batch, key);
  if (isTensor(value)) {
    const [n = 1, k = 1, ...rest] = value.shape.length === 0 ? [1] : value.shape;
    const data = value.data instanceof Float32Array ? value.data : Float32Array.from(value.data as ArrayLike<number>);
    if (rest.length > 0) {
      throw new TypeMismatchError(`key '${key}': a [${value.shape.join(',')}] tensor has no per-sample column form (rank ≤ 2 expected)`);
    }
    if (k === 1) {
      out[name] = data;
      return;
    }
    const rows: Float32Array[] = [];
    for (let i = 0; i < n; i++) rows.push(data.subarray(i * k, (i + 1) * k));
    out[name] = rows;
    for (let j = 0; j < k; j++) {
      const col = new Float32Array(n);
      for (let i = 0; i < n; i++) col[i] = data[i * k + j] as number;
      out[`${name}_${j}`] = col;
    }
    return;
  }
  if (Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView))) {
    out[name] = value as ArrayLike<unknown>;
    return;
  }
  throw new TypeMismatchError(`key '${key}': cannot make a column of ${typeof value}`);
}
