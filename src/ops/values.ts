/**
 * Numeric views over the values ops meet in samples (numbers, number arrays, tensors), so the
 * key ops treat them alike.
 */
import { TypeMismatchError } from '../core/errors.js';
import { allocate, isTensor, type DType, type Tensor } from '../core/tensor.js';

/** A numeric leaf: a number, an array of numbers or a tensor. */
export type Numeric = number | readonly number[] | Tensor;

/** Elementwise map over a numeric value, keeping its form; tensors become `outDtype` (default float32). */
export function mapNumeric(value: unknown, key: string, f: (x: number) => number, outDtype: DType = 'float32'): Numeric {
  if (typeof value === 'number') return f(value);
  if (Array.isArray(value)) {
    return value.map((x, i) => {
      if (typeof x !== 'number') throw new TypeMismatchError(`key '${key}': element ${i} is ${typeof x}, expected a number`);
      return f(x);
    });
  }
  if (isTensor(value)) {
    const out = allocate(outDtype, value.data.length);
    const src = value.data;
    for (let i = 0; i < src.length; i++) out[i] = f(src[i] as number);
    return { dtype: outDtype, shape: value.shape, data: out };
  }
  throw new TypeMismatchError(`key '${key}': expected a number, an array of numbers or a tensor, got ${describeValue(value)}`);
}

/** Flat list of the numbers in a numeric value (a copy). */
export function numbersOf(value: unknown, key: string): number[] {
  if (typeof value === 'number' || typeof value === 'boolean') return [Number(value)];
  if (Array.isArray(value))
    return value.map((x, i) => {
      if (typeof x !== 'number' && typeof x !== 'boolean') throw new TypeMismatchError(`key '${key}': element ${i} is ${typeof x}, expected a number`);
      return Number(x);
    });
  if (isTensor(value)) return Array.from(value.data as ArrayLike<number>);
  throw new TypeMismatchError(`key '${key}': expected a number, an array of numbers or a tensor, got ${describeValue(value)}`);
}

/** A short description of a value's type for error messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `array(${value.length})`;
  if (isTensor(value)) return `tensor ${value.dtype}[${value.shape.join(',')}]`;
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  if (typeof value === 'object') return 'object';
  return `${typeof value} ${JSON.stringify(value)}`;
}
