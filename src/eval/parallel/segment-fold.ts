/**
 * The unit of parallel evaluation: a segment — consecutive batches of one pass, cut where the
 * rows reach a fixed count — folded into fresh states. Segment boundaries depend only on the
 * input and the batch size, never on the number of threads, and the main thread merges segment
 * states in segment order; so every thread count gives the same merge tree and the same bits.
 */
import type { EvalBatch, MetricPass } from '../metric.js';
import type { NamedMetric } from '../evaluate-order.js';
import { buffersIn, transferablesOf } from '../../workers/transfer-list.js';
import { withBatchMemo } from '../batch-memo.js';

/** What one pass folds batches into: a metric (first pass) or an extra pass a metric asked for. */
export interface Folder {
  /** The metric's name (for errors). */
  readonly name: string;
  init(): unknown;
  update(state: unknown, batch: EvalBatch): unknown;
  merge(a: unknown, b: unknown): unknown;
}

/** Folders of the first pass: the metrics. */
export function metricFolders(metrics: readonly NamedMetric[]): Folder[] {
  return metrics.map(({ name, metric }) => ({
    name,
    init: () => metric.init(),
    update: (s, b) => metric.update(s, b),
    merge: (a, b) => metric.merge(a, b),
  }));
}

/** Folders of an extra pass: the passes the metrics at `pending[k].m` asked for. */
export function passFolders(metrics: readonly NamedMetric[], pending: readonly { readonly m: number; readonly pass: MetricPass<unknown> }[]): Folder[] {
  return pending.map(({ m, pass }) => ({
    name: (metrics[m] as NamedMetric).name,
    init: () => pass.init(),
    update: (s, b) => pass.update(s, b),
    merge: (a, b) => pass.merge(a, b),
  }));
}

/** Runs one metric step; the caller decides how an error is reported. */
export type StepGuard = <T>(metric: string, step: () => T) => T;

/** Folds the batches of one segment at a time into fresh states. */
export class SegmentFold {
  readonly #folders: readonly Folder[];
  #states: unknown[] | null = null;
  /** Buffers a fresh state shares with the folder (configuration, plans): never moved. */
  readonly #shared: ReadonlySet<ArrayBufferLike>;

  constructor(folders: readonly Folder[]) {
    this.#folders = folders;
    this.#shared = buffersIn(folders.map((f) => f.init()));
  }

  /** Folds one batch into the current segment's states (starting fresh ones when none are open). */
  update(batch: EvalBatch, guard: StepGuard): void {
    const states = this.#states ?? this.#folders.map((f) => f.init());
    this.#states = states;
    // One memo for this batch's updates: metrics that repeat the same per-row work share it.
    withBatchMemo(batch, () =>
      this.#folders.forEach((f, k) => {
        states[k] = guard(f.name, () => f.update(states[k], batch));
      }),
    );
  }

  /** Whether the open states hold a view of `buffer` (then a reader must not reuse it). */
  holds(buffer: ArrayBufferLike): boolean {
    return this.#states !== null && buffersIn(this.#states).has(buffer);
  }

  /**
   * Closes the segment: its states (fresh ones for a segment that got no batch) and the buffers
   * that may be moved to another thread with them (not those shared with the folders).
   */
  end(): { readonly states: unknown[]; readonly transfer: ArrayBuffer[] } {
    const states = this.#states ?? this.#folders.map((f) => f.init());
    this.#states = null;
    return { states, transfer: transferablesOf(states, this.#shared) };
  }
}
