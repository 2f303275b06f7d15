/**
 * Uncollation: a batch sample split back into one sample per batch row (FuseMedML's
 * `uncollate`), e.g. to write predictions per sample.
 */
import { TypeMismatchError } from '../core/errors.js';
import { flatten, getOr, SAMPLE_ID_KEY, unflatten, type Sample } from '../core/sample.js';
import { isTensor, numel, type Tensor } from '../core/tensor.js';

/** Options of {@link uncollate}. */
export interface UncollateOptions {
  /**
   * What a row of a rank-1 tensor becomes: `'number'` gives plain numbers (booleans for a
   * `bool` tensor), undoing how {@link collate} stacks numbers; `'tensor'` gives rank-0
   * tensors. Default `'number'`.
   */
  readonly scalars?: 'number' | 'tensor';
}

/**
 * Splits a batch into samples. The batch size is the length of `data.sampleId` when present,
 * else the leading dimension of the first tensor (or length of the first array) found.
 * Tensors are sliced along their first axis (copies), arrays by index, and any other value
 * (a number, a string, a rank-0 tensor) is given to every sample.
 *
 * Round trip: `uncollate(collate(xs))` deep-equals `xs` for samples holding equal-shape
 * tensors, numbers, booleans, strings and arrays (not after padding, and a rank-0 tensor comes
 * back as a number unless `scalars: 'tensor'`).
 * @example
 * uncollate(collate([a, b])); // [a', b'] equal to [a, b]
 * @throws {TypeMismatchError} when a tensor's leading dimension or an array's length is not the
 * batch size.
 */
export function uncollate(batch: Sample, options: UncollateOptions = {}): Sample[] {
  const scalars = options.scalars ?? 'number';
  const flat = flatten(batch);
  const entries = Object.entries(flat);
  const size = batchSize(batch, entries);
  if (size === undefined) return [];
  const rows: Record<string, unknown>[] = Array.from({ length: size }, () => ({}));
  for (const [path, value] of entries) {
    if (isTensor(value) && value.shape.length > 0) {
      if (value.shape[0] !== size) {
        throw new TypeMismatchError(`uncollate: key '${path}' has leading dimension ${String(value.shape[0])}, the batch has ${size} samples`);
      }
      const rest = value.shape.slice(1);
      const n = numel(rest);
      for (let i = 0; i < size; i++) {
        const data = value.data.slice(i * n, (i + 1) * n);
        (rows[i] as Record<string, unknown>)[path] = rest.length === 0 && scalars === 'number' ? scalarOf(value, data) : { dtype: value.dtype, shape: rest, data };
      }
    } else if (Array.isArray(value)) {
      if (value.length !== size) throw new TypeMismatchError(`uncollate: key '${path}' has ${value.length} entries, the batch has ${size} samples`);
      for (let i = 0; i < size; i++) (rows[i] as Record<string, unknown>)[path] = value[i];
    } else {
      for (let i = 0; i < size; i++) (rows[i] as Record<string, unknown>)[path] = value;
    }
  }
  return rows.map((r) => unflatten(r));
}

function scalarOf(t: Tensor, data: Tensor['data']): number | boolean {
  const x = data[0] as number;
  return t.dtype === 'bool' ? x !== 0 : x;
}

function batchSize(batch: Sample, entries: readonly (readonly [string, unknown])[]): number | undefined {
  const ids = getOr<unknown>(batch, SAMPLE_ID_KEY, undefined);
  if (Array.isArray(ids)) return ids.length;
  for (const [, v] of entries) {
    if (isTensor(v) && v.shape.length > 0) return v.shape[0];
    if (Array.isArray(v)) return v.length;
  }
  return undefined;
}
