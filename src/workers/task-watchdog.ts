/**
 * Timing worker tasks by their running time only. A task's clock does not start when it is
 * queued: the worker writes into the task's progress array when it begins the task (setup) and
 * when it begins each sample (see worker-progress.ts), and the watchdog gives each of those
 * phases its own limit counted from that moment. Time a task waits in the pool's queue, or a
 * sample waits behind the other samples of its task, never counts.
 *
 * One timer per watchdog ticks while tasks are watched (every tenth of the smallest limit,
 * between 5 ms and 1 s), reading each watched progress array; a phase past its limit gets its
 * `onTimeout` called once (the caller aborts the task, which stops its thread).
 */
import { OptionsError } from '../core/errors.js';
import { Phase } from './worker-progress.js';

/** Milliseconds a sample (or a thread's setup) may run on a worker by default: 10 minutes. */
export const DEFAULT_TASK_TIMEOUT_MS = 600_000;

/** Limits per phase, in milliseconds (`Infinity`: none). */
export interface PhaseLimits {
  /** Setup of a task: importing op modules, building the pipeline, reading cached inputs. */
  readonly setupMs: number;
  /** One sample's ops (or a batch's collation). */
  readonly runMs: number;
}

/** What was running when a phase ran out of time. */
export interface Timeout {
  readonly phase: Phase;
  readonly limitMs: number;
  /** Sample (item) index and op index at that moment (-1 when none yet, op -2: collating). */
  readonly sampleIndex: number;
  readonly opIndex: number;
}

/**
 * A timeout option as a limit: `undefined` → `fallback`, `0` or `Infinity` → no limit.
 * @throws {OptionsError} naming `owner` and `field` for a negative or non-numeric value.
 */
export function timeoutOption(owner: string, field: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new OptionsError(`${owner}: ${field} must be a number of milliseconds >= 0 (0 or Infinity: no limit), got ${String(value)}`);
  }
  return value === 0 ? Infinity : value;
}

interface Watched {
  readonly at: Int32Array;
  readonly sentAt: number;
  readonly onTimeout: (t: Timeout) => void;
}

/** Watches tasks' progress arrays against per-phase limits. */
export class TaskWatchdog {
  private readonly watched = new Set<Watched>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly tickMs: number;

  constructor(private readonly limits: PhaseLimits) {
    const smallest = Math.min(limits.setupMs, limits.runMs);
    this.tickMs = Number.isFinite(smallest) ? Math.min(1000, Math.max(5, Math.floor(smallest / 10))) : Infinity;
  }

  /**
   * Watches one task until the returned function is called (call it when the task settles).
   * @param progress the task's progress buffer; `sentAt` the `Date.now()` sent with the task.
   */
  watch(progress: SharedArrayBuffer, sentAt: number, onTimeout: (t: Timeout) => void): () => void {
    if (!Number.isFinite(this.tickMs)) return () => undefined;
    const w: Watched = { at: new Int32Array(progress), sentAt, onTimeout };
    this.watched.add(w);
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.tick(), this.tickMs);
      this.timer.unref();
    }
    return () => this.unwatch(w);
  }

  /** Stops watching everything. */
  stop(): void {
    this.watched.clear();
    this.release();
  }

  private unwatch(w: Watched): void {
    this.watched.delete(w);
    if (this.watched.size === 0) this.release();
  }

  private release(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const now = Date.now();
    for (const w of [...this.watched]) {
      const slot = Atomics.load(w.at, 2); // phase first: its start was stored before it
      if (slot === Phase.queued) continue;
      const phase: Phase = slot === Phase.setup ? Phase.setup : Phase.running;
      const limitMs = phase === Phase.setup ? this.limits.setupMs : this.limits.runMs;
      const startedAt = w.sentAt + Atomics.load(w.at, 3);
      if (now - startedAt <= limitMs) continue;
      this.unwatch(w);
      w.onTimeout({ phase, limitMs, sampleIndex: Atomics.load(w.at, 0), opIndex: Atomics.load(w.at, 1) });
    }
  }
}
