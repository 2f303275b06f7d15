/**
 * Shared by the worker entry modules (per-sample runner and batch runner): the progress array a
 * task reports into (slot 0: sample index, slot 1: op index) and pipelines instrumented to write
 * it, memoized per thread, with the buffers their op options hold (outputs referencing those are
 * copied, not transferred).
 */
import type { Op } from '../ops/op.js';
import { pipeline, type Pipeline } from '../ops/pipeline.js';
import { buffersIn } from './transfer-list.js';

/** Per-thread progress state of a worker module. */
export class WorkerProgress {
  /** The current task's progress array. */
  progress: Int32Array | undefined;
  private readonly instrumented = new WeakMap<Pipeline, Pipeline>();
  private readonly constants = new WeakMap<Pipeline, Set<ArrayBufferLike>>();

  /** Starts reporting into a task's shared progress buffer. */
  begin(buffer: SharedArrayBuffer): Int32Array {
    this.progress = new Int32Array(buffer);
    return this.progress;
  }

  /** The same pipeline whose ops first record their index in the progress array. */
  instrument(p: Pipeline): Pipeline {
    let q = this.instrumented.get(p);
    if (q === undefined) {
      const ops = p.ops.map(
        (op, i): Op<object> => ({
          ...op,
          id: p.opIds[i] as string,
          apply: (s, ctx) => {
            if (this.progress !== undefined) Atomics.store(this.progress, 1, i);
            return op.apply(s, ctx);
          },
        }),
      );
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
