/**
 * An ordered, bounded-concurrency map over an Observable: the engine under {@link toOperator}
 * and the dataset stream. Synchronous results pass straight through (no promise, no timer);
 * asynchronous ones run at most `concurrency` at a time and are re-emitted in input order.
 */
import { Observable, type OperatorFunction } from 'rxjs';

/** A cancellation flag shared between a subscription and the work it started. */
export interface Cancellation {
  readonly cancelled: boolean;
}

function isThenable<R>(x: unknown): x is PromiseLike<R> {
  return typeof x === 'object' && x !== null && typeof (x as { then?: unknown }).then === 'function';
}

/**
 * Maps each input with `fn`, emitting results in input order.
 *
 * Bounds: at most `concurrency` asynchronous calls run at once. Inputs that arrive while all
 * slots are busy wait in a queue, and results that finish ahead of an earlier one wait in a
 * reorder buffer; neither has its own bound: both are bounded by what upstream sends, which
 * is why the dataset stream feeds this operator from a credit gate (at most `window` inputs
 * outstanding). After unsubscribe no new call of `fn` starts and `cancel.cancelled` is true,
 * so work already started can stop at its next step.
 * @param fn the per-item function; it receives the subscription's cancellation flag.
 * @example
 * from(paths).pipe(orderedMap((p) => readFile(p), 4)); // four reads at a time, results in path order
 */
export function orderedMap<T, R>(fn: (value: T, cancel: Cancellation) => R | PromiseLike<R>, concurrency: number): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((subscriber) => {
      const cancel = { cancelled: false };
      const waiting: T[] = [];
      let waitingHead = 0;
      const held = new Map<number, R>();
      let nextIndex = 0;
      let nextEmit = 0;
      let active = 0;
      let upstreamDone = false;
      let failed = false;

      const fail = (err: unknown): void => {
        if (failed || cancel.cancelled) return;
        failed = true;
        cancel.cancelled = true;
        subscriber.error(err);
      };

      const maybeComplete = (): void => {
        if (upstreamDone && active === 0 && waitingHead === waiting.length && held.size === 0 && !failed && !cancel.cancelled) {
          subscriber.complete();
        }
      };

      const flush = (): void => {
        while (held.has(nextEmit)) {
          const value = held.get(nextEmit) as R;
          held.delete(nextEmit);
          nextEmit++;
          subscriber.next(value);
          if (cancel.cancelled) return;
        }
      };

      const start = (value: T): void => {
        const index = nextIndex++;
        let result: R | PromiseLike<R>;
        try {
          result = fn(value, cancel);
        } catch (err) {
          fail(err);
          return;
        }
        if (!isThenable<R>(result)) {
          if (index === nextEmit && held.size === 0) {
            nextEmit++;
            subscriber.next(result);
          } else {
            held.set(index, result);
            flush();
          }
          return;
        }
        active++;
        result.then(
          (r) => {
            active--;
            if (cancel.cancelled) return;
            held.set(index, r);
            flush();
            drain();
            maybeComplete();
          },
          (err: unknown) => {
            active--;
            fail(err);
          },
        );
      };

      const drain = (): void => {
        while (active < concurrency && waitingHead < waiting.length && !cancel.cancelled) {
          const value = waiting[waitingHead] as T;
          waiting[waitingHead++] = undefined as T;
          if (waitingHead === waiting.length) {
            waiting.length = 0;
            waitingHead = 0;
          }
          start(value);
        }
      };

      const subscription = source.subscribe({
        next: (value) => {
          if (cancel.cancelled) return;
          if (active < concurrency && waitingHead === waiting.length) start(value);
          else waiting.push(value);
        },
        error: (err: unknown) => fail(err),
        complete: () => {
          upstreamDone = true;
          maybeComplete();
        },
      });

      return () => {
        cancel.cancelled = true;
        waiting.length = 0;
        held.clear();
        subscription.unsubscribe();
      };
    });
}
