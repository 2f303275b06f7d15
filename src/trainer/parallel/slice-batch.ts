/**
 * The fixed split of a collated batch into replica slices: slice `i` of `n` holds rows
 * `[floor(i·B/n), floor((i+1)·B/n))` of every value whose leading dimension is the batch size `B`
 * (plain-data tensors, arrays, typed arrays), other values (run constants) whole. The split
 * depends only on `B` and `n`, so two runs with the same thread count split identically.
 */
import { isBranch, type Sample } from '../../core/sample.js';
import { isTensor, type Tensor, type TypedArray } from '../../core/tensor.js';

/** One replica's part of a batch. */
export interface BatchSlice {
  /** Rows `[start, end)` of the global batch. */
  readonly start: number;
  readonly end: number;
  /** The batch restricted to those rows; typed arrays are fresh copies (safe to transfer). */
  readonly batch: Sample;
}

/** Row bounds of slice `i` of `n` over a batch of `size` rows (the fixed split). */
export function sliceBounds(size: number, n: number, i: number): { readonly start: number; readonly end: number } {
  return { start: Math.floor((i * size) / n), end: Math.floor(((i + 1) * size) / n) };
}

/**
 * Splits `batch` (of `size` rows) into `n` slices by the fixed split; empty slices (when
 * `size < n`) are left out.
 * @example sliceBatch(batch, 64, 2) // rows 0–31 and 32–63
 */
export function sliceBatch(batch: Sample, size: number, n: number): BatchSlice[] {
  const out: BatchSlice[] = [];
  for (let i = 0; i < n; i++) {
    const { start, end } = sliceBounds(size, n, i);
    if (end > start) out.push({ start, end, batch: sliceTree(batch, size, start, end) as Sample });
  }
  return out;
}

function sliceTree(value: unknown, size: number, start: number, end: number): unknown {
  if (isTensor(value)) return value.shape[0] === size ? sliceTensor(value, start, end) : copyTensor(value);
  if (Array.isArray(value)) return value.length === size ? value.slice(start, end) : value;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const arr = value as unknown as TypedArray;
    return arr.length === size ? arr.slice(start, end) : arr.slice();
  }
  if (isBranch(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = sliceTree(v, size, start, end);
    return out;
  }
  return value;
}

function sliceTensor(t: Tensor, start: number, end: number): Tensor {
  const row = t.shape.slice(1).reduce((a, d) => a * d, 1);
  return { dtype: t.dtype, shape: [end - start, ...t.shape.slice(1)], data: t.data.slice(start * row, end * row) };
}

function copyTensor(t: Tensor): Tensor {
  return { dtype: t.dtype, shape: [...t.shape], data: t.data.slice() };
}
