/**
 * Runs one pass of `evaluate` over a source segment by segment, in this thread or on worker
 * threads, and returns the per-folder states merged in a fixed order. First pass: every segment
 * is folded into fresh metric states, merged in segment order (see segment-fold.ts), so the
 * grouping never depends on the thread count. Extra passes (the refinement passes metrics ask
 * for, whose states are large: the kept rows of the refined bins): each thread folds all its
 * segments into one pass state, merged in thread order — the result does not depend on the
 * thread count when, as for the histogram refinement passes (integer keys, sorted per bin
 * before use), a pass's outcome does not depend on which rows each state got. Each worker's
 * pass state starts as a clone of a fresh pass state of this thread, so what a pass state keeps
 * in a SharedArrayBuffer is one memory for all threads: the histogram refinement's row store
 * (its `budgetBytes`) is held once, not once per thread, and merging the threads' states
 * copies no rows (histogram-refine.ts).
 *
 * On N threads, from an Arrow IPC file or a set of them (alone or under a score check): the main
 * thread plans the segments (record batch ranges, arrow-read-plan.ts); it and N − 1 worker
 * threads take them in order as they get free (a worker holds at most `window`); each reads its
 * segments' record batches from the file itself and folds them, the workers send back the
 * segment states (first pass) or keep one pass state (extra passes). Nothing is copied between
 * threads but states. Memory bound: per thread its isolate, one record batch (read into a buffer
 * the thread reuses, arrow-read-plan.ts) and its open states; about N·window segment states
 * waiting to be merged; and, in an extra pass, the pass's shared memory once for all threads
 * (the histogram refinement's row store: at most its `budgetBytes`). A score histogram fed
 * float32 scores keeps its rows' compact keys in the first pass instead (histogram-kept.ts: shared
 * memory, at most `budgetBytes` for the whole process, reserved in one ledger the workers share),
 * and its refinement is folded from memory — its bins taken by this thread and the workers, which
 * are registered as helpers while they live — with no second read. At 10^8 float32 rows with
 * AUC + AUC-PR + bootstrap CI (bench/eval.ts): about 200 MB kept, 765 MB peak RSS on 8 threads
 * from TypeScript sources (each tsx worker thread alone takes about 50 MB).
 *
 * On worker threads, from any other source: the main thread reads the source (as in-thread), folds segment 0 itself
 * (so an input of one segment starts no thread), deals segment `s` ≥ 1 to thread `(s − 1) mod N`,
 * posts each batch's columns (copied once, then moved) and merges the segment states the
 * threads send back. Memory bound: at most `window` batches wait per thread (the flow
 * gate blocks the reader), plus one open segment state per thread, plus about N segment states
 * waiting to be merged in order, plus the main thread's merged state.
 */
import { FuseflowError, InputError } from '../../core/errors.js';
import { FlowGate } from '../../workers/flow-gate.js';
import { startWorker } from '../../core/start-worker.js';
import { errorFromThread, type ThreadError, withOrigin } from '../evaluate-origin.js';
import type { ProgressMeter } from '../evaluate-progress.js';
import type { EvalBatch } from '../metric.js';
import type { EvalSource, RowOrigin } from '../sources/eval-source.js';
import type { EvalWorkerInput, FromWorker, ToWorker } from './eval-messages.js';
import type { MetricsRecipe } from './metrics-recipe.js';
import { SegmentFold, type Folder } from './segment-fold.js';
import { SegmentMerger } from './segment-merger.js';
import { BatchReader, planArrowRead, type ReadPlan, type ReadSegment } from './arrow-read-plan.js';
import { reviveClasses, tagClasses } from './state-codec.js';
import { shareRefineStores } from '../metrics/histogram-refine.js';
import { addRefineHelper, keptLedgerBuffer } from '../metrics/histogram-kept.js';
import type { Worker } from 'node:worker_threads';

/** One pass to run. */
export interface PassRun {
  readonly source: EvalSource;
  readonly batchSize: number;
  /** A segment closes after the batch that brings its rows to at least this many. */
  readonly segmentRows: number;
  readonly meter: ProgressMeter;
  /** Pass number (1 = the first) and what it does, for progress. */
  readonly pass: number;
  readonly description: string;
  /** The pass's folders in this thread (they merge the states; in-thread they also fold). */
  readonly folders: readonly Folder[];
  /** What worker threads fold: the metrics (`pending` null) or the passes of the metrics at `pending`, planned from `merged`. */
  readonly job: { readonly pending: readonly number[] | null; readonly merged: readonly unknown[] | null };
}

/** Rows read and the merged per-folder states. */
export interface PassResult {
  readonly rows: number;
  readonly states: unknown[];
}

/** Runs passes; `close` releases its threads. */
export interface SegmentRunner {
  /** Worker threads used (0: in this thread). */
  readonly threads: number;
  run(pass: PassRun): Promise<PassResult>;
  close(): Promise<void>;
}

/** Runs passes in this thread. */
export function localRunner(): SegmentRunner {
  return {
    threads: 0,
    async run(p) {
      const fold = new SegmentFold(p.folders);
      const merger = new SegmentMerger(p.folders);
      let segment = 0;
      let segRows = 0;
      let rows = 0;
      const perThread = p.job.pending !== null;
      p.meter.start(p.pass, p.description);
      await p.source.scan(p.batchSize, (batch) => {
        fold.update(batch.columns, (name, step) => withOrigin(name, batch.where, step));
        rows += batch.length;
        segRows += batch.length;
        p.meter.tick(batch.length);
        if (!perThread && segRows >= p.segmentRows) {
          merger.add(segment++, fold.end().states);
          segRows = 0;
        }
      });
      if (perThread || segRows > 0) merger.add(segment++, fold.end().states);
      p.meter.finish();
      return { rows, states: merger.result(segment) };
    },
    close: () => Promise.resolve(),
  };
}

/**
 * Stops the read after a thread reported an error (never itself reported). An InputError so that
 * sources which wrap other errors from the handler pass it through unchanged.
 */
class StopRead extends InputError {}

/** Per-pass bookkeeping of the thread runner. */
interface PassState {
  readonly merger: SegmentMerger;
  readonly errors: { readonly index: number; readonly error: ThreadError }[];
  /** Where rows of batches not yet merged came from, by batch index. */
  readonly wheres: Map<number, ((i: number) => RowOrigin) | undefined>;
  /** First batch index of each segment. */
  readonly firstBatch: number[];
  flushed: number;
  onFlushed: (() => void) | null;
  /** Planned reads: a worker finished segment `segment` of `rows` rows on `lane`. */
  onRead: ((lane: number, rows: number) => void) | null;
}

/**
 * A runner on up to `threads` worker threads that build the metrics of `recipe`. A thread starts
 * when the first segment is dealt to it (an input of one segment starts one thread).
 * `window`: batches in flight per thread (default 2).
 */
export function threadRunner(recipe: MetricsRecipe, threads: number, window = 2): SegmentRunner {
  const gate = new FlowGate(threads, window);
  let current: PassState | null = null;
  let job: { readonly message: ToWorker; readonly names: readonly string[] } | null = null;
  let dead: Error | null = null;
  const workers: Worker[] = [];
  /** Unregisters each worker as a refinement helper. */
  const helping: (() => void)[] = [];
  const onMessage = (message: FromWorker): void => {
    const p = current;
    if (p === null) return;
    if (message.kind === 'segment') {
      p.merger.add(message.segment, reviveClasses(message.states));
      // rows of merged segments can no longer be named by an error
      const upTo = p.firstBatch[p.merger.merged] ?? Infinity;
      for (const index of p.wheres.keys()) {
        if (index >= upTo) break;
        p.wheres.delete(index);
      }
    } else if (message.kind === 'error') p.errors.push({ index: message.index, error: message.error });
    else if (message.kind === 'read') p.onRead?.(message.lane, message.rows);
    else {
      p.flushed++;
      p.onFlushed?.();
    }
  };
  /** Posts the current pass's job (its states tagged for the trip). */
  const sendJob = (worker: Worker): void => {
    if (job === null) return;
    const merged = job.message.kind === 'pass' ? (job.message.merged ?? []) : [];
    const seeds = job.message.kind === 'pass' ? (job.message.seeds ?? []) : [];
    const tag = (s: unknown, k: number): (() => void) => tagClasses(s, job?.names[k] ?? '?', { keptRows: true });
    const untag = [...merged.map(tag), ...seeds.map(tag)];
    try {
      worker.postMessage(job.message);
    } finally {
      for (const u of untag) u();
    }
  };
  /** The worker of `lane`, started (and given the current pass) on first use. */
  const laneWorker = (lane: number): Worker => {
    for (let k = workers.length; k <= lane; k++) {
      const input: EvalWorkerInput = { recipe, gate: gate.buffer, lane: k, keptLedger: keptLedgerBuffer() };
      const worker = startWorker(import.meta.url, './eval-worker', { input, name: `fuseflow eval ${k}` });
      worker.on('message', onMessage);
      // While it lives, the thread takes bins of the histogram refinement from kept rows (histogram-kept.ts).
      const unhelp = addRefineHelper((job) => worker.postMessage({ kind: 'refine', job } satisfies ToWorker));
      helping.push(unhelp);
      const died = (err: Error): void => {
        unhelp();
        dead ??= err;
        current?.onFlushed?.();
      };
      worker.on('error', died);
      worker.on('exit', (code) => died(new Error(`exited with code ${code}`)));
      workers.push(worker);
      sendJob(worker);
    }
    return workers[lane] as Worker;
  };
  const send = (lane: number, message: ToWorker, transfer: ArrayBuffer[] = []): void => {
    laneWorker(lane).postMessage(message, transfer);
  };
  const deadError = (err: Error): FuseflowError => new FuseflowError(`an evaluation worker thread stopped: ${err.message}`, { cause: err });

  /** Every started worker handles what it was sent (sending its pass state as that of segment `lane` when `perThread`). */
  const flushAll = async (state: PassState, perThread: boolean, offset: number): Promise<number> => {
    const started = workers.length;
    await new Promise<void>((resolve) => {
      state.onFlushed = () => {
        if (state.flushed === started || dead !== null) resolve();
      };
      workers.forEach((worker, lane) => worker.postMessage({ kind: 'flush', segment: perThread ? lane + offset : null } satisfies ToWorker));
      state.onFlushed();
    });
    return started;
  };

  /**
   * A pass whose threads read the file themselves: this thread and N − 1 worker threads take
   * segments in order as they get free (a worker holds at most `window`), and the segment states
   * are merged in segment order as they come back. This thread folds segments too (so N threads
   * start N − 1 workers), between merging what the workers send.
   */
  const runPlanned = async (p: PassRun, plan: ReadPlan, state: PassState): Promise<PassResult> => {
    const perThread = p.job.pending !== null;
    const lanes = Math.max(1, Math.min(threads - 1, plan.segments.length - 1));
    p.meter.start(p.pass, p.description);
    let next = 0;
    let outstanding = 0;
    let localError: { readonly index: number; readonly error: unknown } | null = null;
    const stopped = (): boolean => state.errors.length > 0 || localError !== null || dead !== null;
    const workersDone = new Promise<void>((resolve) => {
      const deal = (lane: number): void => {
        if (stopped() || next >= plan.segments.length) return;
        const segment = next++;
        outstanding++;
        laneWorker(lane).postMessage({ kind: 'read', segment, read: plan.segments[segment] as ReadSegment, batchSize: p.batchSize, keep: perThread } satisfies ToWorker);
      };
      state.onRead = (lane, rows) => {
        outstanding--;
        p.meter.tick(rows);
        deal(lane);
        if (outstanding === 0) resolve();
      };
      state.onFlushed = () => {
        if (dead !== null) resolve();
      };
      for (let w = 0; w < window; w++) for (let lane = 0; lane < lanes; lane++) deal(lane);
      if (outstanding === 0) resolve();
    });
    // This thread's share: the next free segment, read and folded here.
    const local = new SegmentFold(p.folders);
    const reader = new BatchReader();
    const localWork = (async () => {
      try {
        while (!stopped() && next < plan.segments.length) {
          const segment = next++;
          const read = plan.segments[segment] as ReadSegment;
          try {
            await reader.read(
              read,
              p.batchSize,
              (batch) => local.update(batch.columns, (name, step) => withOrigin(name, batch.where, step)),
              (buffer) => local.holds(buffer),
            );
          } catch (err) {
            localError = { index: segment, error: err };
            return;
          }
          p.meter.tick(read.rows);
          if (!perThread) state.merger.add(segment, local.end().states);
        }
      } finally {
        await reader.close();
      }
    })();
    await Promise.all([workersDone, localWork]);
    const started = await flushAll(state, perThread, 0);
    p.meter.finish();
    if (dead !== null) throw deadError(dead);
    const first = state.errors.reduce<(typeof state.errors)[number] | undefined>((a, e) => (a === undefined || e.index < a.index ? e : a), undefined);
    const here = localError as { readonly index: number; readonly error: unknown } | null;
    if (here !== null && (first === undefined || here.index < first.index)) throw here.error;
    if (first !== undefined) throw errorFromThread(first.error, undefined);
    if (perThread) state.merger.add(started, local.end().states);
    return { rows: plan.rows, states: state.merger.result(perThread ? started + 1 : plan.segments.length) };
  };

  return {
    threads,
    async run(p) {
      if (dead !== null) throw deadError(dead);
      const state: PassState = { merger: new SegmentMerger(p.folders), errors: [], wheres: new Map(), firstBatch: [0], flushed: 0, onFlushed: null, onRead: null };
      const plan = await planArrowRead(p.source, p.batchSize, p.segmentRows);
      current = state;
      try {
        // Extra passes: each worker's pass state starts as a clone of a fresh one of this thread (sharing what it holds in shared memory).
        const seeds = p.job.pending === null ? null : shareRefineStores(() => p.folders.map((f) => f.init()));
        job = { message: { kind: 'pass', pending: p.job.pending, merged: p.job.merged, seeds }, names: p.folders.map((f) => f.name) };
        for (const worker of workers) sendJob(worker);
        if (plan !== null && plan.segments.length > 1) return await runPlanned(p, plan, state);
        const perThread = p.job.pending !== null;
        // Segment 0 is folded here while it is read (an input of one segment starts no thread); segment s ≥ 1 goes to lane (s − 1) mod N.
        const local = new SegmentFold(p.folders);
        const laneOf = (s: number): number => (s - 1) % threads;
        let segment = 0;
        let segRows = 0;
        let rows = 0;
        let index = 0;
        p.meter.start(p.pass, p.description);
        try {
          await p.source.scan(p.batchSize, (batch) => {
            if (state.errors.length > 0 || dead !== null) throw new StopRead('stopped after a worker error');
            if (segment === 0) local.update(batch.columns, (name, step) => withOrigin(name, batch.where, step));
            else {
              const lane = laneOf(segment);
              laneWorker(lane);
              gate.acquire(lane);
              const { columns, transfer } = ownColumns(batch.columns);
              state.wheres.set(index, batch.where);
              send(lane, { kind: 'batch', index, columns }, transfer);
            }
            index++;
            rows += batch.length;
            segRows += batch.length;
            p.meter.tick(batch.length);
            if (segRows >= p.segmentRows) {
              if (segment === 0) {
                if (!perThread) state.merger.add(0, local.end().states);
              } else if (!perThread) send(laneOf(segment), { kind: 'end', segment });
              segment++;
              segRows = 0;
              state.firstBatch.push(index);
            }
          });
        } catch (err) {
          if (!(err instanceof StopRead)) throw err;
        }
        if (!perThread && segRows > 0 && state.errors.length === 0) {
          if (segment === 0) state.merger.add(0, local.end().states);
          else send(laneOf(segment), { kind: 'end', segment });
          segment++;
          state.firstBatch.push(index);
        }
        if (perThread) state.merger.add(0, local.end().states);
        // Every thread handles what it was sent; then the lowest failing batch is the error, as in one thread.
        const started = await flushAll(state, perThread, 1);
        p.meter.finish();
        if (dead !== null) throw deadError(dead);
        const first = state.errors.reduce<(typeof state.errors)[number] | undefined>((a, e) => (a === undefined || e.index < a.index ? e : a), undefined);
        if (first !== undefined) throw errorFromThread(first.error, state.wheres.get(first.index));
        return { rows, states: state.merger.result(perThread ? started + 1 : segment) };
      } finally {
        current = null;
        job = null;
      }
    },
    async close() {
      for (const unhelp of helping) unhelp();
      for (const w of workers) w.removeAllListeners('exit');
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

/** The batch's columns as fresh copies (typed arrays) the message may move; other columns are cloned. */
function ownColumns(columns: EvalBatch): { columns: EvalBatch; transfer: ArrayBuffer[] } {
  const out: Record<string, ArrayLike<unknown>> = {};
  const transfer: ArrayBuffer[] = [];
  for (const [key, col] of Object.entries(columns)) {
    if (ArrayBuffer.isView(col) && 'slice' in col && typeof col.slice === 'function') {
      const copy = (col as unknown as { slice(): ArrayBufferView & ArrayLike<unknown> }).slice();
      if (copy.buffer instanceof ArrayBuffer) transfer.push(copy.buffer);
      out[key] = copy;
    } else out[key] = col;
  }
  return { columns: out, transfer };
}
