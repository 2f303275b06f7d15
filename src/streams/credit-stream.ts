/**
 * The credit gate: a pull boundary between an RxJS stage and a consumer that iterates with
 * `for await`. Demand travels upstream as credits, so at most `window` inputs are in flight
 * anywhere in the chain however slow the consumer and whatever the stage's concurrency.
 */
import { Observable, type OperatorFunction, type Subscription } from 'rxjs';
import { FuseflowError } from '../core/errors.js';
import { positiveInteger } from './to-operator.js';

/** Options of {@link creditStream}. */
export interface CreditStreamOptions {
  /**
   * Most inputs in flight at once: taken from the source and not yet fully received by the
   * consumer (or dropped). Default 16.
   */
  readonly window?: number;
}

/** Live counters of a credit stream (read them at any time). */
export interface CreditStats {
  /**
   * Inputs taken from the source and not yet released. An input is released when the stage
   * drops it, or when the consumer pulls again after receiving its last output (so the sample
   * the consumer is working on still counts).
   */
  readonly inFlight: number;
  /** Highest `inFlight` seen so far; never above `window`. */
  readonly peakInFlight: number;
  /** Inputs taken from the source so far. */
  readonly taken: number;
  /**
   * Inputs done: every output received by the consumer, or dropped with everything before it
   * received. Outputs come in input order, so these are the first `completed` inputs (the
   * resume position).
   */
  readonly completed: number;
  /** Output samples handed to the consumer. */
  readonly delivered: number;
}

/** An `AsyncIterable` with credit accounting. */
export interface CreditStream<R> extends AsyncIterable<R> {
  readonly stats: CreditStats;
  readonly window: number;
}

interface Unit<R> {
  readonly items: readonly R[];
  next: number;
  /** Dropped inputs that came right after this one (their credit is already back). */
  dropsAfter: number;
}

/**
 * Pulls `source` through `stage` under a credit window and hands the outputs to a `for await`
 * consumer.
 *
 * The unit of credit is one source input. `stage` must emit exactly one array per input, in
 * input order (as {@link toGroupedOperator} does): the outputs of one→many ops share their
 * input's credit, which comes back when the consumer pulls again after the last of them, and a
 * dropped input (empty array) returns its credit at once. So `inFlight ≤ window` always holds,
 * counted in inputs and including the sample in the consumer's hands; output samples held at
 * once are at most `window × the largest fan-out`. With a one→one pipeline the two counts are
 * the same. A stage that emits more arrays than it took inputs
 * breaks the contract and the stream fails.
 *
 * Only one iteration is allowed per stream. `break`/`return()` unsubscribes the stage (no new
 * op starts after it) and closes the source iterator. A stage error reaches the consumer after
 * the outputs that came before it.
 * @example
 * const it = creditStream(ids.map((id) => createSample(id)), toGroupedOperator(p), { window: 8 });
 * for await (const s of it) await slowConsumer(s);
 * @throws {OptionsError} for a bad `window`.
 */
export function creditStream<T, R>(source: Iterable<T> | AsyncIterable<T>, stage: OperatorFunction<T, readonly R[]>, options: CreditStreamOptions = {}): CreditStream<R> {
  const window = positiveInteger('creditStream: window', options.window, 16);
  const stats = { inFlight: 0, peakInFlight: 0, taken: 0, completed: 0, delivered: 0 };
  let iterated = false;

  const iterate = (): AsyncIterator<R> => {
    if (iterated) throw new FuseflowError('a credit stream can be iterated only once');
    iterated = true;

    let credits = window;
    let pumping = false;
    let sourceDone = false;
    let stageDone = false;
    let failure: { error: unknown } | undefined;
    let closed = false;
    // Consumers waiting for a value (one with `for await`; several if `next()` is called again
    // before the last call settled).
    let waiters: (() => void)[] = [];
    const queue: Unit<R>[] = [];
    let queueHead = 0;
    let sourceSubscriber: { next(v: T): void; complete(): void; error(e: unknown): void; readonly closed: boolean } | undefined;

    const syncIt = Symbol.iterator in source ? source[Symbol.iterator]() : undefined;
    const asyncIt = syncIt === undefined ? (source as AsyncIterable<T>)[Symbol.asyncIterator]() : undefined;

    const signal = (): void => {
      if (waiters.length === 0) return;
      const ws = waiters;
      waiters = [];
      for (const w of ws) w();
    };

    const take = (): void => {
      credits--;
      stats.inFlight++;
      stats.taken++;
      if (stats.inFlight > stats.peakInFlight) stats.peakInFlight = stats.inFlight;
    };

    // Credit of the last unit handed over; returned when the consumer pulls again, so a sample
    // in the consumer's hands still counts against the window.
    let owed = 0;
    const giveBack = (n: number): void => {
      stats.inFlight -= n;
      credits += n;
    };

    const pump = (): void => {
      if (pumping || sourceSubscriber === undefined) return;
      pumping = true;
      if (syncIt !== undefined) {
        try {
          // The stage may fail (and unsubscribe) while handling a value: re-check each turn.
          while (credits > 0 && !sourceDone && !closed && sourceSubscriber !== undefined) {
            const r = syncIt.next();
            if (r.done === true) {
              sourceDone = true;
              sourceSubscriber?.complete();
            } else {
              take();
              sourceSubscriber?.next(r.value);
            }
          }
        } catch (err) {
          sourceDone = true;
          sourceSubscriber?.error(err);
        } finally {
          pumping = false;
        }
        return;
      }
      void (async () => {
        try {
          while (credits > 0 && !sourceDone && !closed && sourceSubscriber !== undefined) {
            take();
            const r = await (asyncIt as AsyncIterator<T>).next();
            if (closed) return;
            if (r.done === true) {
              stats.inFlight--;
              stats.taken--;
              credits++;
              sourceDone = true;
              sourceSubscriber?.complete();
            } else {
              sourceSubscriber?.next(r.value);
            }
          }
        } catch (err) {
          sourceDone = true;
          sourceSubscriber?.error(err);
        } finally {
          pumping = false;
        }
      })();
    };

    const gated = new Observable<T>((subscriber) => {
      sourceSubscriber = subscriber;
      return () => {
        sourceSubscriber = undefined;
      };
    });

    let received = 0;
    // Called only from the iterator's methods, so after `subscription` below is assigned.
    const close = (): void => {
      if (closed) return;
      closed = true;
      subscription.unsubscribe();
      signal();
      queue.length = 0;
      queueHead = 0;
      if (!sourceDone) {
        sourceDone = true;
        try {
          if (syncIt?.return !== undefined) syncIt.return();
          else if (asyncIt?.return !== undefined) void asyncIt.return().catch(() => undefined);
        } catch {
          // The source failing to close must not hide why we closed it.
        }
      }
    };

    const subscription: Subscription = stage(gated).subscribe({
      next: (items) => {
        if (closed) return;
        if (++received > stats.taken) {
          failure ??= { error: new FuseflowError('the stage emitted more outputs than it took inputs (expected one array per input)') };
          signal();
          return;
        }
        if (items.length === 0) {
          // Dropped: its credit comes back at once; its position counts once those before it are delivered.
          if (queueHead === queue.length) stats.completed++;
          else (queue[queue.length - 1] as Unit<R>).dropsAfter++;
          giveBack(1);
          pump();
        } else {
          queue.push({ items, next: 0, dropsAfter: 0 });
        }
        signal();
      },
      error: (err: unknown) => {
        failure ??= { error: err };
        stageDone = true;
        signal();
      },
      complete: () => {
        stageDone = true;
        signal();
      },
    });
    pump();

    const nextValue = async (): Promise<IteratorResult<R>> => {
      if (owed > 0 && !closed) {
        giveBack(owed);
        owed = 0;
        pump();
      }
      for (;;) {
        if (closed) return { done: true, value: undefined };
        if (queueHead < queue.length) {
          const unit = queue[queueHead] as Unit<R>;
          const value = unit.items[unit.next++] as R;
          stats.delivered++;
          if (unit.next === unit.items.length) {
            queue[queueHead++] = undefined as unknown as Unit<R>;
            if (queueHead === queue.length) {
              queue.length = 0;
              queueHead = 0;
            }
            stats.completed += 1 + unit.dropsAfter;
            owed++;
          }
          return { done: false, value };
        }
        if (failure !== undefined) {
          const { error } = failure;
          close();
          throw error;
        }
        if (stageDone) {
          close();
          return { done: true, value: undefined };
        }
        if (owed > 0) {
          // Another next() call is still pending while earlier values were handed out: the
          // consumer asks for more than it holds, so their credit comes back now.
          giveBack(owed);
          owed = 0;
          pump();
          continue;
        }
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
        });
      }
    };

    return {
      next: nextValue,
      return: (): Promise<IteratorResult<R>> => {
        close();
        return Promise.resolve({ done: true, value: undefined });
      },
      throw: (err: unknown): Promise<IteratorResult<R>> => {
        close();
        return Promise.reject(err);
      },
    };
  };

  return {
    stats,
    window,
    [Symbol.asyncIterator]: iterate,
  };
}
