/**
 * Row operations on evaluation batches: select rows by index (with repeats), concatenate.
 * Typed-array columns stay typed; other columns become plain arrays.
 */
import type { EvalBatch } from '../metric.js';

type Column = ArrayLike<unknown>;

function isTyped(c: Column): c is Float64Array | Float32Array | Int32Array | Int16Array | Int8Array | Uint8Array | Uint16Array | Uint32Array {
  return ArrayBuffer.isView(c) && !(c instanceof DataView) && !(c instanceof BigInt64Array) && !(c instanceof BigUint64Array);
}

/** Rows of `batch` in the order of `index` (an index may repeat). */
export function takeRows(batch: EvalBatch, index: ArrayLike<number>): EvalBatch {
  const out: Record<string, Column> = {};
  for (const [key, col] of Object.entries(batch)) {
    if (isTyped(col)) {
      const ctor = col.constructor as new (n: number) => { [i: number]: number; length: number };
      const t = new ctor(index.length);
      for (let i = 0; i < index.length; i++) t[i] = col[index[i] as number] as number;
      out[key] = t;
    } else {
      const a: unknown[] = new Array(index.length);
      for (let i = 0; i < index.length; i++) a[i] = col[index[i] as number];
      out[key] = a;
    }
  }
  return out;
}

/** Number of rows of a batch (length of its first column; 0 when it has none). */
export function batchLength(batch: EvalBatch): number {
  for (const col of Object.values(batch)) return col.length;
  return 0;
}

/** Concatenates batches with the same keys (plain arrays, typed columns kept as Float64Array). */
export function concatBatches(batches: readonly EvalBatch[]): EvalBatch {
  if (batches.length === 1) return batches[0] as EvalBatch;
  const keys = batches.length > 0 ? Object.keys(batches[0] as EvalBatch) : [];
  const out: Record<string, Column> = {};
  for (const key of keys) {
    const parts = batches.map((b) => b[key]);
    if (parts.some((p) => p === undefined)) throw new Error(`cannot concatenate batches: column '${key}' is missing in some`);
    const total = parts.reduce((a, p) => a + (p as Column).length, 0);
    if (parts.every((p) => isTyped(p as Column) && !(p instanceof BigInt64Array))) {
      const t = new Float64Array(total);
      let o = 0;
      for (const p of parts) {
        for (let i = 0; i < (p as Column).length; i++) t[o + i] = (p as ArrayLike<number>)[i] as number;
        o += (p as Column).length;
      }
      out[key] = t;
    } else {
      const a: unknown[] = [];
      for (const p of parts) for (let i = 0; i < (p as Column).length; i++) a.push((p as Column)[i]);
      out[key] = a;
    }
  }
  return out;
}
