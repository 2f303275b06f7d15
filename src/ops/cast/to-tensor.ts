import { TypeMismatchError } from '../../core/errors.js';
import { getKey, setKey, type Sample } from '../../core/sample.js';
import { allocate, dtypeOf, isTensor, type DType, type Tensor, type TypedArray } from '../../core/tensor.js';
import { defineOp } from '../registry.js';
import { asKeyList, checkOneOf } from '../validate.js';
import { describeValue } from '../values.js';

/** Options of {@link toTensor}. */
export interface ToTensorOptions {
  /** Key or keys to convert. */
  readonly keys: string | readonly string[];
  /** Target dtype. Default: float32 for numbers and arrays; tensors keep theirs. */
  readonly dtype?: DType;
  /** Leave `null`/absent values alone instead of failing. Default `false`. */
  readonly ignoreNull?: boolean;
}

const DTYPE_NAMES: readonly DType[] = ['float32', 'float64', 'int8', 'int16', 'int32', 'uint8', 'uint16', 'uint32', 'bool'];

/** Converts a number, boolean, (nested) number array, typed array or tensor to a tensor of `dtype`. */
export function asTensor(value: unknown, key: string, dtype?: DType): Tensor {
  if (isTensor(value)) return dtype === undefined || dtype === value.dtype ? value : castTensor(value, dtype);
  if (typeof value === 'number' || typeof value === 'boolean') {
    const data = allocate(dtype ?? 'float32', 1);
    data[0] = Number(value);
    return { dtype: dtype ?? 'float32', shape: [], data };
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const src = value as TypedArray;
    const t: Tensor = { dtype: dtypeOf(src), shape: [src.length], data: src };
    return dtype === undefined ? t : castTensor(t, dtype);
  }
  if (Array.isArray(value)) {
    const shape: number[] = [];
    let probe: unknown = value;
    while (Array.isArray(probe)) {
      shape.push(probe.length);
      probe = probe[0];
    }
    const flat = (value as unknown[]).flat<unknown[], number>(shape.length);
    const data = allocate(dtype ?? 'float32', flat.length);
    if (flat.length !== shape.reduce((a, b) => a * b, 1)) throw new TypeMismatchError(`key '${key}': nested array is ragged, cannot make a tensor`);
    for (let i = 0; i < flat.length; i++) {
      const x = flat[i];
      if (typeof x !== 'number' && typeof x !== 'boolean') throw new TypeMismatchError(`key '${key}': element ${i} is ${describeValue(x)}, expected a number`);
      data[i] = Number(x);
    }
    return { dtype: dtype ?? 'float32', shape, data };
  }
  throw new TypeMismatchError(`key '${key}': cannot convert ${describeValue(value)} to a tensor`);
}

/**
 * A copy of `t` converted to `dtype` (integers truncate toward zero, as typed arrays do). Other
 * fields (an Image's spacing, origin, direction) are kept.
 */
export function castTensor<T extends Tensor>(t: T, dtype: DType): T {
  const data = allocate(dtype, t.data.length);
  const src = t.data;
  if (dtype === 'bool') for (let i = 0; i < src.length; i++) data[i] = src[i] === 0 ? 0 : 1;
  else for (let i = 0; i < src.length; i++) data[i] = src[i] as number;
  return { ...t, dtype, data };
}

/**
 * Converts values to tensors (FuseMedML's OpToTensor). Reads/writes `keys`. Static.
 * @example toTensor({ keys: ['data.features'], dtype: 'float32' })
 * @throws {TypeMismatchError} (as an OpError) for strings, objects or ragged arrays.
 */
export const toTensor = defineOp<ToTensorOptions>({
  name: 'cast.toTensor',
  version: 1,
  kind: 'static',
  validate: (o) => {
    if (o.dtype !== undefined) checkOneOf('cast.toTensor', 'dtype', o.dtype, DTYPE_NAMES);
  },
  apply: (sample, _ctx, o) => {
    let out: Sample = sample;
    for (const key of asKeyList(o.keys)) {
      const value = o.ignoreNull === true ? (getKey(sample, key) ?? null) : getKey(sample, key);
      if (value === null && o.ignoreNull === true) continue;
      out = setKey(out, key, asTensor(value, key, o.dtype));
    }
    return out;
  },
});
