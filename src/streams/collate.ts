/**
 * Collation: a list of samples becomes one batch sample with the same key paths (FuseMedML's
 * `CollateDefault`). Tensors stack along a new leading axis, numbers and booleans become
 * tensors, everything else (strings, ids, arrays, null) becomes a plain array.
 */
import { MissingKeyError, OptionsError, TypeMismatchError } from '../core/errors.js';
import { closestKeys, getOr, INITIAL_SAMPLE_ID_KEY, keyPaths, SAMPLE_ID_KEY, sampleIdOf, unflatten, type Sample } from '../core/sample.js';
import { isTensor, type Tensor } from '../core/tensor.js';
import { padToSameSize } from './pad-to-same-size.js';

/** How tensors of different shapes are padded before stacking. */
export interface CollatePadOptions {
  /** Key paths to pad. Default: every tensor key whose shapes differ in the batch. */
  readonly keys?: readonly string[];
  /** Padding value. Default 0. */
  readonly value?: number;
  /** Smallest size per dimension (`-1`: none), as in `padToSameSize`. Default none. */
  readonly minSizePerDim?: readonly number[];
}

/** Options of {@link collate}. */
export interface CollateOptions {
  /** Key paths left out of the batch (a path also removes everything under it). Default none. */
  readonly skipKeys?: readonly string[];
  /** Only these key paths (and what is under them) go into the batch. Default: every path. */
  readonly keepKeys?: readonly string[];
  /**
   * A key present in some samples but not others: `'error'` throws naming the key and the
   * sample id; `'null'` keeps a plain array with `null` for the samples that lack it.
   * Default `'error'`.
   */
  readonly missing?: 'error' | 'null';
  /** Pad tensors of different shapes to the largest (and at least `minSizePerDim`). Default: no padding (different shapes are an error). */
  readonly pad?: CollatePadOptions;
}

const ABSENT = Symbol('absent');

function under(path: string, prefixes: readonly string[]): boolean {
  return prefixes.some((p) => path === p || path.startsWith(`${p}.`));
}

/**
 * Collates samples into one batch sample.
 *
 * Per key path (the union over the samples, minus `skipKeys`): the sample ids
 * (`data.sampleId`, `data.initialSampleId`) stay arrays of strings; tensors of one dtype and
 * shape are stacked to `[batch, ...shape]` (padded first for keys under `pad`); numbers become
 * an `int32` tensor when all are integers in int32 range (and none is -0), else `float64`; booleans a `bool`
 * tensor; anything else (strings, arrays, objects, mixed types) a plain array. An Image stacks
 * as a tensor: its spacing, origin and direction are not carried into the batch (keep them under
 * keys of their own when a later step needs them). Inputs are not modified. An empty list gives
 * an empty sample.
 * @example
 * const b = collate([s1, s2]);
 * getKey(b, 'data.sampleId'); // ['a', 'b']
 * getKey<Tensor>(b, 'data.img').shape; // [2, ...imgShape]
 * @throws {MissingKeyError} for a key missing from a sample (naming key and sample id) unless
 * `missing: 'null'`; {@link TypeMismatchError} for tensors whose dtypes differ, or whose shapes
 * differ without `pad`.
 */
export function collate(samples: readonly Sample[], options: CollateOptions = {}): Sample {
  const missing = options.missing ?? 'error';
  if (missing !== 'error' && missing !== 'null') throw new OptionsError(`collate: missing must be 'error' or 'null', got '${String(missing)}'`);
  const skip = options.skipKeys ?? [];
  const keep = options.keepKeys;
  const paths: string[] = [];
  const seen = new Set<string>();
  for (const s of samples) {
    for (const p of keyPaths(s)) {
      if (seen.has(p)) continue;
      seen.add(p);
      if (under(p, skip)) continue;
      if (keep !== undefined && !under(p, keep)) continue;
      paths.push(p);
    }
  }
  const flat: Record<string, unknown> = {};
  for (const path of paths) {
    const values = samples.map((s) => getOr<unknown>(s, path, ABSENT));
    const absentAt = values.indexOf(ABSENT);
    if (absentAt >= 0) {
      if (missing === 'error') {
        const s = samples[absentAt] as Sample;
        throw new MissingKeyError(path, closestKeys(s, path), sampleIdOf(s));
      }
      flat[path] = values.map((v) => (v === ABSENT ? null : v));
      continue;
    }
    flat[path] = collateValues(path, values, samples, options.pad);
  }
  return unflatten(flat);
}

function collateValues(path: string, values: unknown[], samples: readonly Sample[], pad: CollatePadOptions | undefined): unknown {
  if (path === SAMPLE_ID_KEY || path === INITIAL_SAMPLE_ID_KEY) return values;
  if (values.every(isTensor)) return stack(path, values, samples, pad);
  if (values.every((v) => typeof v === 'number')) {
    const nums = values;
    const ints = nums.every((x) => Number.isInteger(x) && x >= -2147483648 && x <= 2147483647 && !Object.is(x, -0));
    return ints ? { dtype: 'int32', shape: [nums.length], data: Int32Array.from(nums) } : { dtype: 'float64', shape: [nums.length], data: Float64Array.from(nums) };
  }
  if (values.every((v) => typeof v === 'boolean')) {
    return { dtype: 'bool', shape: [values.length], data: Uint8Array.from(values, (b) => (b ? 1 : 0)) };
  }
  return values;
}

function stack(path: string, tensors: readonly Tensor[], samples: readonly Sample[], pad: CollatePadOptions | undefined): Tensor {
  const first = tensors[0] as Tensor;
  tensors.forEach((t, i) => {
    if (t.dtype !== first.dtype) {
      throw new TypeMismatchError(
        `collate: key '${path}' is ${first.dtype} in sample '${sampleIdOf(samples[0] as Sample)}' but ${t.dtype} in sample '${sampleIdOf(samples[i] as Sample)}'`,
      );
    }
  });
  const padThis = pad !== undefined && (pad.keys === undefined || pad.keys.includes(path));
  if (padThis) {
    return padToSameSize(tensors, {
      ...(pad.value === undefined ? {} : { value: pad.value }),
      ...(pad.minSizePerDim === undefined ? {} : { minSizePerDim: pad.minSizePerDim }),
    });
  }
  tensors.forEach((t, i) => {
    if (t.shape.length !== first.shape.length || t.shape.some((d, k) => d !== first.shape[k])) {
      throw new TypeMismatchError(
        `collate: key '${path}' has shape [${first.shape.join(',')}] in sample '${sampleIdOf(samples[0] as Sample)}' but [${t.shape.join(',')}] in sample '${sampleIdOf(samples[i] as Sample)}' (pass pad to pad them)`,
      );
    }
  });
  return padToSameSize(tensors);
}
