/**
 * A source over columns already in memory: an object of equal-length arrays (plain or typed).
 */
import type { EvalBatch } from '../metric.js';
import { columnsLength, emitSliced, type EvalSource } from './eval-source.js';

/** Options of {@link arraySource}. */
export interface ArraySourceOptions {
  /** Name used in messages; default `'arrays'`. */
  readonly name?: string;
}

/**
 * Wraps an object of equal-length arrays as a re-readable {@link EvalSource}. Typed arrays are
 * handed out as zero-copy `subarray` views; the input is never modified.
 *
 * @example
 * const src = arraySource({ pred: [0.1, 0.9], target: [0, 1] });
 * @throws InputError when the columns differ in length or one is not an array.
 */
export function arraySource(columns: EvalBatch, options: ArraySourceOptions = {}): EvalSource {
  const name = options.name ?? 'arrays';
  const length = columnsLength(columns, name);
  return {
    name,
    reReadable: true,
    scan(batchSize, onBatch) {
      // Synchronous work; an error thrown in the executor rejects the promise.
      return new Promise<void>((resolve) => {
        emitSliced({ columns, length, where: (i) => ({ file: name, row: i }) }, batchSize, onBatch);
        resolve();
      });
    },
  };
}
