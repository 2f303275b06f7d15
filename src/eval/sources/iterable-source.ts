/**
 * Sources over batches produced by code: an AsyncIterable (or Iterable) of batches, a function
 * returning a fresh one per pass, or an Observable (RxJS or any object with `subscribe`).
 */
import type { EvalBatch } from '../metric.js';
import { FuseflowError } from '../../core/errors.js';
import { columnsLength, emitSliced, type BatchHandler, type EvalSource } from './eval-source.js';

/** Anything with an RxJS-style `subscribe` (an RxJS `Observable` qualifies). */
export interface BatchSubscribable {
  subscribe(observer: { next: (batch: EvalBatch) => void; error: (err: unknown) => void; complete: () => void }): { unsubscribe(): void };
}

/** Batches produced by code: one-shot iterables, or a factory that starts a new pass each call. */
export type BatchIterable = AsyncIterable<EvalBatch> | Iterable<EvalBatch>;

/** Options of {@link iterableSource}. */
export interface IterableSourceOptions {
  /** Name used in messages; default `'async iterable'`. */
  readonly name?: string;
}

/**
 * A source over an AsyncIterable (or Iterable) of batches. Given the iterable itself it is
 * one-shot: a second pass is an error, so metrics must finish in one pass (their first pass must
 * fit their memory budget). Given a function returning a fresh iterable it is re-readable.
 * Batches larger than `batchSize` are cut; nothing is buffered (each batch is folded before the
 * next is pulled, so a slow metric slows the producer).
 *
 * @example
 * const src = iterableSource(async function* () { yield { pred: [0.2], target: [0] }; });
 * @throws FuseflowError (when scanned) on a second pass over a one-shot iterable.
 */
export function iterableSource(input: BatchIterable | (() => BatchIterable), options: IterableSourceOptions = {}): EvalSource {
  const name = options.name ?? 'async iterable';
  const factory = typeof input === 'function' ? input : undefined;
  let used = false;
  return {
    name,
    reReadable: factory !== undefined,
    async scan(batchSize, onBatch) {
      let iterable: BatchIterable;
      if (factory !== undefined) iterable = factory();
      else {
        if (used) throw new FuseflowError(`${name} is one-shot and was already read; pass a function returning a fresh iterable to allow extra passes`);
        used = true;
        iterable = input as BatchIterable;
      }
      let row = 0;
      for await (const columns of iterable) {
        const length = columnsLength(columns, name);
        const first = row;
        emitSliced({ columns, length, where: (i) => ({ file: name, row: first + i }) }, batchSize, onBatch);
        row += length;
      }
    },
  };
}

/** Options of {@link observableSource}. */
export interface ObservableSourceOptions {
  /** Name used in messages; default `'observable'`. */
  readonly name?: string;
  /** Whether subscribing again replays the same batches (a cold Observable); default false. */
  readonly reReadable?: boolean;
}

/**
 * A source over an Observable of batches. Each batch is folded synchronously inside `next`, so no
 * batch is queued however fast the Observable emits (RxJS has no demand channel; here none is
 * needed). One-shot unless `reReadable` says a new subscription replays the same batches.
 *
 * @example
 * const src = observableSource(from(batches), { reReadable: true });
 * @throws the Observable's error, or the first error thrown while folding a batch (the
 *   subscription is then closed).
 */
export function observableSource(observable: BatchSubscribable, options: ObservableSourceOptions = {}): EvalSource {
  const name = options.name ?? 'observable';
  const reReadable = options.reReadable ?? false;
  let used = false;
  return {
    name,
    reReadable,
    scan(batchSize, onBatch: BatchHandler) {
      if (used && !reReadable) {
        return Promise.reject(new FuseflowError(`${name} is one-shot and was already read; mark it reReadable if a new subscription replays the same batches`));
      }
      used = true;
      return new Promise<void>((resolve, reject) => {
        let stopped = false;
        let row = 0;
        // A synchronous observable may stop us while subscribe() is still running, before it returns
        // the subscription: `held` is then empty, and the subscription is closed once it arrives.
        const held: { subscription?: { unsubscribe(): void } } = {};
        const stop = (err: unknown): void => {
          if (stopped) return;
          stopped = true;
          held.subscription?.unsubscribe();
          reject(err);
        };
        held.subscription = observable.subscribe({
          next: (columns) => {
            if (stopped) return;
            try {
              const length = columnsLength(columns, name);
              const first = row;
              emitSliced({ columns, length, where: (i) => ({ file: name, row: first + i }) }, batchSize, onBatch);
              row += length;
            } catch (err) {
              stop(err);
            }
          },
          error: (err) => stop(err),
          complete: () => {
            if (stopped) return;
            stopped = true;
            resolve();
          },
        });
        if (stopped) held.subscription.unsubscribe();
      });
    },
  };
}
