/**
 * Reads per-sequence values from a batch column: a Tensor (shape slowest-first), a typed array,
 * or a nested array. Returns the flat values and the shape.
 */
import { isTensor } from '../../core/tensor.js';

/** A sequence's values (flat) and shape. */
export interface SequenceValues {
  readonly data: ArrayLike<number>;
  readonly shape: readonly number[];
}

/** Flattens one cell, or returns undefined when it is not a sequence. */
export function sequenceOf(v: unknown): SequenceValues | undefined {
  if (isTensor(v)) return { data: v.data, shape: v.shape };
  if (ArrayBuffer.isView(v) && !(v instanceof DataView) && !(v instanceof BigInt64Array) && !(v instanceof BigUint64Array)) {
    const a = v as unknown as ArrayLike<number>;
    return { data: a, shape: [a.length] };
  }
  if (Array.isArray(v)) {
    const shape: number[] = [];
    let cur: unknown = v;
    while (Array.isArray(cur)) {
      shape.push(cur.length);
      cur = cur[0];
    }
    return { data: Float64Array.from((v as unknown[]).flat(shape.length) as number[]), shape };
  }
  return undefined;
}
