/**
 * The Tensor type: plain data (`{ dtype, shape, data }`) so it crosses worker threads by transfer,
 * hashes canonically and goes into LMDB as bytes. `shape` is row-major (last axis fastest).
 */
import { TypeMismatchError } from './errors.js';

/** Element types a tensor may hold. */
export type DType = 'float32' | 'float64' | 'int8' | 'int16' | 'int32' | 'uint8' | 'uint16' | 'uint32' | 'bool';

/** The typed array that backs each dtype (`bool` is stored one byte per element). */
export interface TypedArrayByDType {
  float32: Float32Array;
  float64: Float64Array;
  int8: Int8Array;
  int16: Int16Array;
  int32: Int32Array;
  uint8: Uint8Array;
  uint16: Uint16Array;
  uint32: Uint32Array;
  bool: Uint8Array;
}

export type TypedArray = TypedArrayByDType[DType];

/** A dense n-dimensional array. */
export interface Tensor<D extends DType = DType> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly data: TypedArrayByDType[D];
}

type TypedArrayConstructor = {
  new (length: number): TypedArray;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArray;
  readonly BYTES_PER_ELEMENT: number;
};

const CONSTRUCTORS: Record<DType, TypedArrayConstructor> = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  bool: Uint8Array,
};

/** All dtypes, in a fixed order (used for binary encodings). */
export const DTYPES: readonly DType[] = Object.keys(CONSTRUCTORS) as DType[];

/** Bytes per element of `dtype`. */
export function bytesPerElement(dtype: DType): number {
  return CONSTRUCTORS[dtype].BYTES_PER_ELEMENT;
}

/** Number of elements of a shape (1 for a scalar shape `[]`). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** A zero-filled typed array of `length` elements of `dtype`. */
export function allocate<D extends DType>(dtype: D, length: number): TypedArrayByDType[D] {
  return new CONSTRUCTORS[dtype](length) as TypedArrayByDType[D];
}

/** A typed array of `dtype` viewing `length` elements of `buffer` from `byteOffset` (no copy). */
export function viewOf<D extends DType>(dtype: D, buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArrayByDType[D] {
  return new CONSTRUCTORS[dtype](buffer, byteOffset, length) as TypedArrayByDType[D];
}

/** The dtype of a typed array (Uint8Array maps to `uint8`). */
export function dtypeOf(data: TypedArray): DType {
  // DTYPES lists uint8 before bool, both Uint8Array; anything unlisted (e.g. Uint8ClampedArray) is uint8.
  for (const dtype of DTYPES) if (data instanceof CONSTRUCTORS[dtype]) return dtype;
  return 'uint8';
}

/**
 * Builds a tensor, checking that `data.length` equals the product of `shape`.
 * @throws {TypeMismatchError} when the sizes disagree or a dimension is not a non-negative integer.
 */
export function tensor<D extends DType>(dtype: D, shape: readonly number[], data?: TypedArrayByDType[D]): Tensor<D> {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new TypeMismatchError(`tensor shape [${shape.join(', ')}] has a bad dimension ${d}`);
  }
  const n = numel(shape);
  const values = data ?? allocate(dtype, n);
  if (values.length !== n) {
    throw new TypeMismatchError(`tensor data has ${values.length} elements, shape [${shape.join(', ')}] needs ${n}`);
  }
  if (dtypeOf(values) !== dtype && !(dtype === 'bool' && values instanceof Uint8Array)) {
    throw new TypeMismatchError(`tensor dtype '${dtype}' does not match its data (${values.constructor.name})`);
  }
  return { dtype, shape: [...shape], data: values };
}

/** True when `value` is a plain-data tensor. */
export function isTensor(value: unknown): value is Tensor {
  if (typeof value !== 'object' || value === null) return false;
  const t = value as Partial<Tensor>;
  return typeof t.dtype === 'string' && t.dtype in CONSTRUCTORS && Array.isArray(t.shape) && ArrayBuffer.isView(t.data);
}

/** A human-readable description such as `float32[2,3]`. */
export function describeTensor(t: Tensor): string {
  return `${t.dtype}[${t.shape.join(',')}]`;
}
