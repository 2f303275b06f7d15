/**
 * Shared by the worker entry modules (per-sample runner and batch runner): the progress array a
 * task reports into and pipelines instrumented to write it, memoized per thread, with the
 * buffers their op options hold (outputs referencing those are copied, not transferred).
 *
 * The progress array (Int32, {@link PROGRESS_SLOTS} slots, made by {@link progressBuffer}):
 * slot 0 the sample (or batch item) index, slot 1 the op index (-1 before the first op, -2 while
 * collating), slot 2 the phase ({@link Phase}), slot 3 when that phase began, in milliseconds
 * after the task was sent (`sentAt`). The main thread reads it to name what a dead thread was
 * running and to time each phase from when the worker actually began it (see task-watchdog.ts).
 */
import type { Op } from '../ops/op.js';
import { pipeline, type Pipeline } from '../ops/pipeline.js';
import { buffersIn } from './transfer-list.js';

/** What a task is doing, in slot 2 of its progress array. */
export const Phase = {
  /** Sent, not yet started by a worker (waiting in the pool's queue). */
  queued: 0,
  /** Started: importing op modules, building the pipeline, reading cached inputs. */
  setup: 1,
  /** Running one sample's ops (or collating a batch). */
  running: 2,
} as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

/** Int32 slots of a progress array. */
export const PROGRESS_SLOTS = 4;

/** A fresh progress buffer: nothing started (indices -1, phase queued). */
export function progressBuffer(): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(PROGRESS_SLOTS * Int32Array.BYTES_PER_ELEMENT);
  const at = new Int32Array(buffer);
  at[0] = -1;
  at[1] = -1;
  return buffer;
}

/** Per-thread progress state of a worker module. */
export class WorkerProgress {
  /** The current task's progress array. */
  progress: Int32Array | undefined;
  private sentAt = 0;
  private readonly instrumented = new WeakMap<Pipeline, Pipeline>();
  private readonly constants = new WeakMap<Pipeline, Set<ArrayBufferLike>>();

  /**
   * Starts reporting into a task's shared progress buffer, entering the setup phase.
   * @param sentAt `Date.now()` on the main thread when the task was sent.
   */
  begin(buffer: SharedArrayBuffer, sentAt: number): Int32Array {
    this.progress = new Int32Array(buffer);
    this.sentAt = sentAt;
    this.enter(Phase.setup);
    return this.progress;
  }

  /** Starts sample (or item) `index`: its running time counts from now. */
  startSample(index: number): void {
    if (this.progress === undefined) return;
    Atomics.store(this.progress, 0, index);
    Atomics.store(this.progress, 1, -1);
    this.enter(Phase.running);
  }

  /** Marks the op index (-2: collating) without restarting the clock. */
  atOp(index: number): void {
    if (this.progress !== undefined) Atomics.store(this.progress, 1, index);
  }

  /** Enters `phase` now. The start time is stored before the phase so a reader never pairs a new phase with an old start. */
  enter(phase: Phase): void {
    if (this.progress === undefined) return;
    const since = Math.min(Math.max(0, Date.now() - this.sentAt), 0x7fffffff);
    Atomics.store(this.progress, 3, since);
    Atomics.store(this.progress, 2, phase);
  }

  /** The same pipeline whose ops first record their index in the progress array. */
  instrument(p: Pipeline): Pipeline {
    let q = this.instrumented.get(p);
    if (q === undefined) {
      const ops = p.ops.map((op, i): Op<object> => ({
        ...op,
        id: p.opIds[i] as string,
        apply: (s, ctx) => {
          this.atOp(i);
          return op.apply(s, ctx);
        },
      }));
      q = pipeline(ops, { name: p.name, opIndexBase: p.opIndexBase });
      this.instrumented.set(p, q);
      this.constants.set(q, buffersIn(p.ops.map((op) => op.options)));
    }
    return q;
  }

  /** Buffers held by an instrumented pipeline's op options. */
  constantsOf(q: Pipeline): Set<ArrayBufferLike> {
    return this.constants.get(q) ?? new Set();
  }
}
