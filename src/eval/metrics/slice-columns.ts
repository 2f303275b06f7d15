/**
 * The rows of a batch from `start` on (typed columns as subarray views, others sliced).
 */
import type { EvalBatch } from '../metric.js';

/** Rows from `start` to the end of every column. */
export function sliceColumns(batch: EvalBatch, start: number): EvalBatch {
  const out: Record<string, ArrayLike<unknown>> = {};
  for (const [k, c] of Object.entries(batch)) {
    if (ArrayBuffer.isView(c) && !(c instanceof DataView)) out[k] = (c as unknown as Float64Array).subarray(start);
    else if (Array.isArray(c)) out[k] = c.slice(start);
    else out[k] = Array.prototype.slice.call(c, start) as unknown[];
  }
  return out;
}
