/**
 * Stacking tensors into one batch tensor, padding each to the largest size per dimension
 * (FuseMedML's `CollateDefault.pad_all_tensors_to_same_size`).
 */
import { OptionsError, TypeMismatchError } from '../core/errors.js';
import { allocate, numel, type Tensor } from '../core/tensor.js';

/** Options of {@link padToSameSize}. */
export interface PadToSameSizeOptions {
  /** Value written into the padding. Default 0. */
  readonly value?: number;
  /**
   * Smallest size per dimension of the padded result (one entry per dimension of the inputs,
   * `-1` for no minimum). Default none.
   */
  readonly minSizePerDim?: readonly number[];
}

/**
 * Stacks `tensors` along a new leading batch axis after padding each at the end of every
 * dimension to the largest size in the batch (and at least `minSizePerDim`). Equal shapes and
 * no minimum give a plain stack. Inputs are not modified.
 * @example
 * padToSameSize([t([1, 1, 3]), t([1, 2, 1])]).shape; // [2, 1, 2, 3]
 * @throws {TypeMismatchError} when the tensors differ in dtype or rank; {@link OptionsError}
 * for an empty list or a `minSizePerDim` of the wrong length.
 */
export function padToSameSize(tensors: readonly Tensor[], options: PadToSameSizeOptions = {}): Tensor {
  const first = tensors[0];
  if (first === undefined) throw new OptionsError('padToSameSize: no tensors to stack');
  const rank = first.shape.length;
  const target = [...first.shape];
  for (const t of tensors) {
    if (t.dtype !== first.dtype) throw new TypeMismatchError(`padToSameSize: dtypes differ (${first.dtype} and ${t.dtype})`);
    if (t.shape.length !== rank) throw new TypeMismatchError(`padToSameSize: ranks differ ([${first.shape.join(',')}] and [${t.shape.join(',')}])`);
    for (let d = 0; d < rank; d++) target[d] = Math.max(target[d] as number, t.shape[d] as number);
  }
  const min = options.minSizePerDim;
  if (min !== undefined) {
    if (min.length !== rank) throw new OptionsError(`padToSameSize: minSizePerDim has ${min.length} entries, the tensors have ${rank} dimensions`);
    for (let d = 0; d < rank; d++) {
      const m = min[d] as number;
      if (m >= 0) target[d] = Math.max(target[d] as number, m);
    }
  }
  const per = numel(target);
  const data = allocate(first.dtype, per * tensors.length);
  const value = options.value ?? 0;
  if (value !== 0) data.fill(value);
  tensors.forEach((t, b) => {
    if (sameShape(t.shape, target)) data.set(t.data, b * per);
    else copyInto(t, target, data, b * per);
  });
  return { dtype: first.dtype, shape: [tensors.length, ...target], data };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Copies `src` into the corner of a `target`-shaped block starting at `offset` of `dst`. */
function copyInto(src: Tensor, target: readonly number[], dst: Tensor['data'], offset: number): void {
  const rank = target.length;
  if (rank === 0) {
    dst[offset] = src.data[0] as number;
    return;
  }
  const srcStrides = strides(src.shape);
  const dstStrides = strides(target);
  const run = src.shape[rank - 1] as number;
  const walk = (d: number, so: number, to: number): void => {
    if (d === rank - 1) {
      dst.set(src.data.subarray(so, so + run), to);
      return;
    }
    const n = src.shape[d] as number;
    for (let i = 0; i < n; i++) walk(d + 1, so + i * (srcStrides[d] as number), to + i * (dstStrides[d] as number));
  };
  walk(0, 0, offset);
}

function strides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    out[d] = s;
    s *= shape[d] as number;
  }
  return out;
}
