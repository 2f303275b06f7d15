/**
 * Messages between `evaluate`'s main thread and its worker threads (see eval-threads.ts).
 */
import type { EvalBatch } from '../metric.js';
import type { ThreadError } from '../evaluate-origin.js';
import type { MetricsRecipe } from './metrics-recipe.js';
import type { ReadSegment } from './arrow-read-plan.js';
import type { RefineJob } from '../metrics/histogram-kept.js';

/** What a worker thread is started with. */
export interface EvalWorkerInput {
  readonly recipe: MetricsRecipe;
  /** The flow gate's shared counters (`FlowGate.buffer`). */
  readonly gate: SharedArrayBuffer;
  /** This worker's lane in the gate. */
  readonly lane: number;
  /** The main thread's ledger of kept histogram rows (histogram-kept.ts `keptLedgerBuffer`), shared. */
  readonly keptLedger: SharedArrayBuffer;
}

/** Main thread → worker. */
export type ToWorker =
  /**
   * Starts a pass: the first (`pending` null: fold into the metrics) or an extra one (fold into
   * the passes the metrics at `pending` ask for, planned from their merged states `merged`,
   * starting each pass state as a clone of the main thread's fresh one in `seeds`, so memory a
   * pass state holds in a SharedArrayBuffer — the histogram refinement's row store — is one for
   * all threads).
   */
  | { readonly kind: 'pass'; readonly pending: readonly number[] | null; readonly merged: readonly unknown[] | null; readonly seeds: readonly unknown[] | null }
  /** A batch of the current segment (its credit was taken from the gate). */
  | { readonly kind: 'batch'; readonly index: number; readonly columns: EvalBatch }
  /**
   * Read segment `segment` from its file and fold it: into fresh states sent back as that
   * segment's (`keep` false), or into the pass state kept until `flush` (`keep` true); then answer
   * `read`.
   */
  | { readonly kind: 'read'; readonly segment: number; readonly read: ReadSegment; readonly batchSize: number; readonly keep: boolean }
  /** Closes segment `segment`: send its states. */
  | { readonly kind: 'end'; readonly segment: number }
  /** Take bins of a histogram refinement from kept rows (histogram-kept.ts `workOnRefine`); no answer (the results are in shared memory). */
  | { readonly kind: 'refine'; readonly job: RefineJob }
  /** Answer `flushed` once every earlier message is handled; first send the open states as those of `segment` when it is not null. */
  | { readonly kind: 'flush'; readonly segment: number | null };

/** Worker → main thread. */
export type FromWorker =
  | { readonly kind: 'segment'; readonly segment: number; readonly states: readonly unknown[] }
  /** A metric failed on batch `index` (-1: the worker could not set up); the worker skips the rest of the pass. */
  | { readonly kind: 'error'; readonly index: number; readonly error: ThreadError }
  /** Segment `segment` (`rows` rows) is read and folded (its states, when sent, came before); `lane` may have another. */
  | { readonly kind: 'read'; readonly segment: number; readonly rows: number; readonly lane: number }
  | { readonly kind: 'flushed' };
