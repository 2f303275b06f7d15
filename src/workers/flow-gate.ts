/**
 * Credit-based flow control between one producer thread and several worker threads, in shared
 * memory. The producer takes a credit before it posts an item to a lane and blocks (synchronously,
 * `Atomics.wait`) while the lane already holds `window` items; the worker gives the credit back
 * when it has handled the item. A producer that must stay synchronous (a callback that cannot
 * await) thereby keeps at most `window` items in flight per lane, so memory stays bounded however
 * fast it reads.
 */
import { FuseflowError } from '../core/errors.js';

/** How long {@link FlowGate.acquire} waits for a lane that makes no progress, by default. */
export const DEFAULT_STALL_MS = 600_000;

/** The producer's side of the gate; `buffer` goes to the workers ({@link releaseCredit}). */
export class FlowGate {
  /** The shared counters: items in flight per lane, then a closed flag per lane. */
  readonly buffer: SharedArrayBuffer;
  readonly #cells: Int32Array;
  readonly #window: number;
  readonly #lanes: number;

  /**
   * @param lanes number of worker lanes
   * @param window most items in flight per lane (≥ 1)
   */
  constructor(lanes: number, window: number) {
    if (!Number.isInteger(lanes) || lanes < 1) throw new RangeError(`FlowGate: lanes must be a positive integer, got ${lanes}`);
    if (!Number.isInteger(window) || window < 1) throw new RangeError(`FlowGate: window must be a positive integer, got ${window}`);
    this.buffer = new SharedArrayBuffer(8 * lanes);
    this.#cells = new Int32Array(this.buffer);
    this.#window = window;
    this.#lanes = lanes;
  }

  /**
   * Takes a credit of `lane`, blocking the calling thread while the lane is full.
   * @throws FuseflowError when the lane's worker closed it ({@link closeLane}, e.g. on exit) or
   *   handed back no credit for `stallMs` (a hung worker, or one that died without closing).
   */
  acquire(lane: number, stallMs: number = DEFAULT_STALL_MS): void {
    const cells = this.#cells;
    let waited = 0;
    for (;;) {
      if (Atomics.load(cells, this.#lanes + lane) !== 0) throw new FuseflowError(`worker lane ${lane} stopped (its thread exited)`);
      const inFlight = Atomics.load(cells, lane);
      if (inFlight < this.#window) {
        Atomics.add(cells, lane, 1);
        return;
      }
      const slice = Math.min(1000, stallMs - waited);
      if (slice <= 0) throw new FuseflowError(`worker lane ${lane} handled nothing for ${Math.round(stallMs / 1000)} s; stopping (the worker thread hung or died)`);
      const t0 = Date.now();
      if (Atomics.wait(cells, lane, inFlight, slice) === 'timed-out') waited += Date.now() - t0;
      else waited = 0;
    }
  }

  /** Items in flight on `lane` now. */
  inFlight(lane: number): number {
    return Atomics.load(this.#cells, lane);
  }
}

/** The worker's side: gives back one credit of `lane` in the gate's `buffer`. */
export function releaseCredit(buffer: SharedArrayBuffer, lane: number): void {
  const cells = new Int32Array(buffer);
  Atomics.sub(cells, lane, 1);
  Atomics.notify(cells, lane);
}

/** The worker's side: marks `lane` closed (its thread is exiting), waking a producer waiting on it. */
export function closeLane(buffer: SharedArrayBuffer, lane: number): void {
  const cells = new Int32Array(buffer);
  Atomics.store(cells, cells.length / 2 + lane, 1);
  Atomics.notify(cells, lane);
}
