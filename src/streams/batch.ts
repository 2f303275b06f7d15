/**
 * Batching over the pull boundary: groups consecutive samples of an AsyncIterable and collates
 * each group into one batch sample. This is the stage between `dataset().stream()` and a
 * trainer.
 */
import type { Sample } from '../core/sample.js';
import { collate, type CollateOptions } from './collate.js';
import { positiveInteger } from './to-operator.js';

/** Options of {@link batch}. */
export interface BatchOptions {
  /** Samples per batch. Required. */
  readonly size: number;
  /** Drop a last batch smaller than `size`. Default false. */
  readonly dropLast?: boolean;
  /** How samples are collated (see {@link collate}). Default `{}`. */
  readonly collate?: CollateOptions;
}

/**
 * A stage that turns a stream of samples into a stream of collated batches.
 *
 * Bound: it holds at most `size` samples (the batch being filled). It pulls only when its own
 * consumer asks for the next batch, so the credit window upstream keeps working; give the
 * upstream stream a `window` of at least `size` (e.g. `2 * size`) so the next batch is being
 * prepared while the trainer works. Breaking out of the batch loop closes the upstream stream.
 * @example
 * const batches = batch({ size: 32, dropLast: true })(ds.stream({ epoch, seed, window: 64 }));
 * for await (const b of batches) await trainStep(b); // b: collated batch sample
 * @throws {OptionsError} for a bad `size`; the stream rethrows upstream errors and collate
 * errors (missing key naming the sample id, shape mismatch).
 */
export function batch(options: BatchOptions): (source: AsyncIterable<Sample>) => AsyncIterable<Sample> {
  const size = positiveInteger('batch: size', options.size, 1);
  const dropLast = options.dropLast ?? false;
  const collateOptions = options.collate ?? {};
  return (source) => ({
    [Symbol.asyncIterator]: async function* (): AsyncGenerator<Sample> {
      let buffer: Sample[] = [];
      for await (const s of source) {
        buffer.push(s);
        if (buffer.length === size) {
          const full = buffer;
          buffer = [];
          yield collate(full, collateOptions);
        }
      }
      if (buffer.length > 0 && !dropLast) yield collate(buffer, collateOptions);
    },
  });
}
