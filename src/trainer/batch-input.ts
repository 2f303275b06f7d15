/**
 * Reading model inputs and targets out of a collated batch. A batch is a sample whose tensor
 * leaves carry a leading batch axis; plain number arrays (collated scalars) are accepted too.
 * Every value becomes a float32 (or int32) tf.Tensor that the caller owns and must dispose.
 */
import * as tf from '@tensorflow/tfjs';
import { TypeMismatchError } from '../core/errors.js';
import { getKey, type Sample } from '../core/sample.js';
import { isTensor } from '../core/tensor.js';

/** Where a value is read, for error messages: the key and the training step (when known). */
export interface ReadContext {
  readonly step?: number;
  readonly phase?: string;
}

function where(key: string, ctx: ReadContext): string {
  const parts = [`key '${key}'`];
  if (ctx.phase !== undefined) parts.push(ctx.phase);
  if (ctx.step !== undefined) parts.push(`step ${ctx.step}`);
  return parts.join(', ');
}

/**
 * The batch value at `key` as a float32 tf.Tensor (the caller disposes it).
 * @throws {MissingKeyError} when the key is absent (naming the closest keys).
 * @throws {TypeMismatchError} when the value is neither a tensor nor an array of numbers.
 */
export function readBatchTensor(batch: Sample, key: string, ctx: ReadContext = {}, dtype: 'float32' | 'int32' = 'float32'): tf.Tensor {
  const value = getKey(batch, key);
  if (isTensor(value)) {
    const data = value.data instanceof Float32Array || value.data instanceof Int32Array ? value.data : Float32Array.from(value.data as ArrayLike<number>);
    return tf.tensor(data, [...value.shape], dtype);
  }
  if (Array.isArray(value) && value.every((v) => typeof v === 'number' || typeof v === 'boolean')) {
    return tf.tensor1d(value.map(Number), dtype);
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return tf.tensor1d(Array.from(value as unknown as ArrayLike<number>), dtype);
  }
  throw new TypeMismatchError(`${where(key, ctx)}: expected a tensor or an array of numbers, got ${describe(value)}`);
}

/** The batch size of a batch: the leading dimension of the value at `key`. */
export function batchSizeAt(batch: Sample, key: string): number {
  const value = getKey(batch, key);
  if (isTensor(value)) return value.shape[0] ?? 1;
  if (Array.isArray(value) || ArrayBuffer.isView(value)) return (value as ArrayLike<unknown>).length;
  throw new TypeMismatchError(`key '${key}': cannot tell the batch size of ${describe(value)}`);
}

/**
 * Checks a batch tensor against the per-sample shape a model input expects (channels last),
 * adding a trailing channel axis of 1 when the batch lacks it. Returns a new tensor when reshaped.
 * @throws {TypeMismatchError} naming key, step, got and expected shapes.
 */
export function fitInputShape(t: tf.Tensor, expected: readonly (number | null)[], key: string, ctx: ReadContext = {}): tf.Tensor {
  const got = t.shape.slice(1);
  if (matches(got, expected)) return t;
  if (expected.length === got.length + 1 && expected[expected.length - 1] === 1 && matches(got, expected.slice(0, -1))) {
    return t.expandDims(-1);
  }
  throw new TypeMismatchError(
    `${where(key, ctx)}: the model takes per-sample shape [${expected.map((d) => d ?? '?').join(',')}] but the batch has [${t.shape.join(',')}] (batch axis first)`,
  );
}

function matches(got: readonly number[], expected: readonly (number | null)[]): boolean {
  return got.length === expected.length && expected.every((d, i) => d === null || d === got[i]);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return typeof value;
}
