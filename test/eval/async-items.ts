/**
 * A one-shot async iterable over a sync iterable (an array, or a generator that counts or throws as
 * it is pulled): each next() pulls one item, exactly when the consumer asks, and an error thrown
 * while pulling rejects that next(). What a streamed upstream looks like to an eval source, without
 * an async generator that has nothing to await.
 */
export function asyncItems<T>(items: Iterable<T>): AsyncIterableIterator<T> {
  const it = items[Symbol.iterator]();
  const pull = (step: () => IteratorResult<T>): Promise<IteratorResult<T>> => new Promise((resolve) => resolve(step()));
  return {
    next: () => pull(() => it.next()),
    return: (value?: unknown) => pull(() => it.return?.(value) ?? { done: true, value }),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
