/**
 * The barrier of the sharded update: the `threads` participants of a step (the main thread and
 * the replica workers) each arrive at it in turn, and pass once all have arrived. It counts
 * arrivals in one shared Int32 word (`CONTROL.arrive`, counting up and wrapping at int32); barrier
 * `b` of every participant completes at `(b + 1)·threads` arrivals, so each participant keeps its
 * own target and no word is ever reset. A worker waits with `Atomics.wait` ({@link ShardBarrier.wait});
 * the main thread with `Atomics.waitAsync` ({@link ShardBarrier.waitAsync}), so that its event
 * loop still hears a replica's `exit` or `error` and can set `CONTROL.abort`, on which every
 * waiting participant gives up with an error.
 */
import { CONTROL } from './replica-protocol.js';

/** One participant's view of the barrier. */
export interface ShardBarrier {
  /** Arrives and blocks this thread until every participant has (workers). @throws {Error} on abort. */
  wait(): void;
  /** Arrives and resolves once every participant has (the main thread). @throws {Error} on abort. */
  waitAsync(): Promise<void>;
}

type WaitAsync = (ta: Int32Array, index: number, value: number, timeout: number) => { async: boolean; value: unknown };
// Node ≥ 16 has Atomics.waitAsync; the ES2023 lib this project compiles against does not declare it.
const waitAsyncOf = (): WaitAsync => {
  const f = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;
  if (f === undefined) throw new Error('shard barrier: this runtime has no Atomics.waitAsync (Node ≥ 16 needed)');
  return f;
};

/**
 * The barrier over `control` for `threads` participants; `who` names this one in errors.
 * @example const b = shardBarrier(control, 2, 'replica 1'); b.wait();
 */
export function shardBarrier(control: Int32Array, threads: number, who: string): ShardBarrier {
  // the arrivals this participant's next barrier completes at (int32, wrapping: compared by difference)
  let target = 0;
  /** Arrives; true when this arrival completed the barrier (the others are woken). */
  const arrive = (): boolean => {
    target = (target + threads) | 0;
    if (((Atomics.add(control, CONTROL.arrive, 1) + 1) | 0) !== target) return false;
    Atomics.notify(control, CONTROL.arrive);
    return true;
  };
  /** The arrivals seen when the barrier is not yet complete, or null when it is. */
  const pending = (): number | null => {
    const seen = Atomics.load(control, CONTROL.arrive);
    if (((seen - target) | 0) >= 0) return null;
    if (Atomics.load(control, CONTROL.abort) !== 0) throw new Error(`${who}: another participant stopped during the step`);
    return seen;
  };
  return {
    wait() {
      if (arrive()) return;
      for (let seen = pending(); seen !== null; seen = pending()) Atomics.wait(control, CONTROL.arrive, seen, 1000);
    },
    async waitAsync() {
      if (arrive()) return;
      const waitAsync = waitAsyncOf();
      for (let seen = pending(); seen !== null; seen = pending()) {
        const r = waitAsync(control, CONTROL.arrive, seen, 1000);
        if (r.async) await r.value;
      }
    },
  };
}
