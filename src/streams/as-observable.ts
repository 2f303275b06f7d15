/**
 * The Observable view of a pull stream. It pulls one value, pushes it to the subscriber
 * synchronously, then pulls the next, so the credit window upstream still bounds the work.
 */
import { Observable } from 'rxjs';

/**
 * An Observable that iterates `iterable` on subscribe and pushes each value.
 *
 * Bound: it holds no buffer of its own (one value at a time). A subscriber that hands values to
 * its own asynchronous work without waiting defeats the upstream window; consumers that must
 * wait should use the AsyncIterable directly. Unsubscribing calls the iterator's `return()`.
 * @example
 * asObservable(ds.stream({ epoch: 0, seed: 1 })).pipe(take(10)).subscribe(console.log);
 */
export function asObservable<T>(iterable: AsyncIterable<T>): Observable<T> {
  return new Observable<T>((subscriber) => {
    const it = iterable[Symbol.asyncIterator]();
    let stopped = false;
    void (async () => {
      try {
        for (;;) {
          const r = await it.next();
          if (stopped) return;
          if (r.done === true) {
            subscriber.complete();
            return;
          }
          subscriber.next(r.value);
        }
      } catch (err) {
        if (!stopped) subscriber.error(err);
      }
    })();
    return () => {
      if (stopped) return;
      stopped = true;
      void it.return?.()?.catch(() => undefined);
    };
  });
}
