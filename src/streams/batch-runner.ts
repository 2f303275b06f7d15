/**
 * Batch-level worker tasks: a piscina pool where one task is one whole batch. The worker reads
 * its ids' static outputs from the cache folder itself (or takes them from the task), runs the
 * dynamic pipeline, collates, and sends the collated batch back in one message with its buffers
 * moved. The main thread does one message receive per batch instead of per-sample work, which is
 * what a synchronous training step on the main thread needs to keep its data wait small.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { FuseflowError, MissingKeyError, OpError, OptionsError, TypeMismatchError } from '../core/errors.js';
import type { Sample } from '../core/sample.js';
import { workerEntry } from '../core/workers.js';
import type { PipelineSpec, RunKey } from '../ops/pipeline.js';
import type { BatchResult, BatchTask, BatchTaskItem } from './batch-worker.js';
import type { CollateOptions } from './collate.js';
import { DEFAULT_TASK_TIMEOUT_MS, TaskWatchdog, timeoutOption, type Timeout } from '../workers/task-watchdog.js';
import { checkSendable, checkSpecSendable, forTransfer } from '../workers/transfer-list.js';
import { Phase, progressBuffer } from '../workers/worker-progress.js';
import { WorkerCrashError } from '../workers/worker-runner.js';

export type { BatchTaskItem } from './batch-worker.js';

/** Options of {@link createBatchRunner}. */
export interface BatchRunnerOptions {
  /** The dynamic pipeline's spec (`pipelineSpec(dataset.dynamicPipeline)`). Required. */
  readonly pipeline: PipelineSpec;
  /** Worker threads. Default `availableParallelism()`. */
  readonly threads?: number;
  /**
   * Milliseconds one sample of a batch (or the batch's collation) may run on its worker, counted
   * from when the worker starts on it: time in the pool's queue and time spent on the other
   * samples of the batch do not count. Past it the thread is stopped (a loop that never yields
   * included), the task fails like a crashed worker (naming the sample and op that were running)
   * and a fresh thread takes over. Default {@link DEFAULT_TASK_TIMEOUT_MS} (10 minutes); `0` or
   * `Infinity`: no limit.
   */
  readonly taskTimeoutMs?: number;
  /**
   * Milliseconds a batch task's setup may run on its worker (opening the cache, reading the
   * static outputs, building the pipeline), counted from when the worker starts the task.
   * Default {@link DEFAULT_TASK_TIMEOUT_MS}; `0` or `Infinity`: no limit.
   */
  readonly setupTimeoutMs?: number;
}

/** One batch to build. */
export interface BatchRequest {
  /** The batch's ids, with their static outputs where the cache folder does not hold them. */
  readonly items: readonly BatchTaskItem[];
  readonly run: RunKey;
  /** Cache folder the workers read static outputs from (opened read-only once per thread). Default none. */
  readonly cacheFolder?: string;
  /** Collate options. Default `{}`. */
  readonly collate?: CollateOptions;
}

/** What a batch task gave. */
export type BatchOutcome = { readonly kind: 'batch'; readonly batch: Sample | undefined; readonly samples: number } | { readonly kind: 'missing'; readonly ids: readonly string[] };

/** Counters of a batch runner. */
export interface BatchRunnerStats {
  /** Tasks answered (including those that asked for missing static outputs). */
  readonly tasks: number;
  /** Samples in the batches returned. */
  readonly samples: number;
}

/** A pool of batch workers. */
export interface BatchRunner {
  /** The dynamic pipeline it runs. */
  readonly pipeline: PipelineSpec;
  /** The per-sample running-time limit in force (`Infinity`: none). */
  readonly taskTimeoutMs: number;
  /**
   * Builds one batch off-thread.
   * @throws {OpError} for a failing op (naming op, op id and sample id) or a dead worker thread
   * (its cause a {@link WorkerCrashError}); the collate error's class for a collate failure.
   */
  runBatch(request: BatchRequest): Promise<BatchOutcome>;
  stats(): BatchRunnerStats;
  /** Stops the workers once the tasks already sent have settled (new `runBatch` calls reject). */
  close(): Promise<void>;
}

const COLLATE_ERRORS: Readonly<Record<string, new (message: string) => FuseflowError>> = {
  TypeMismatchError,
  OptionsError,
};

/**
 * Starts a pool of batch workers running `pipeline`.
 *
 * Bound: the pool's queue is not bounded by itself; the caller (a batch stream) keeps at most
 * its `window` batches in flight. Static outputs sent with a request are moved to the worker
 * (typed arrays in unfrozen samples are detached; arrays held by frozen objects are copied).
 * @example
 * const runner = createBatchRunner({ pipeline: pipelineSpec(ds.dynamicPipeline), threads: 2 });
 * const out = await runner.runBatch({ items: [{ id: 'a' }, { id: 'b' }], run: { seed: 1, epoch: 0 }, cacheFolder: cache.folder });
 * await runner.close();
 * @throws {OptionsError} for a missing spec or a bad count.
 */
export function createBatchRunner(options: BatchRunnerOptions): BatchRunner {
  if (options.pipeline === undefined || !Array.isArray(options.pipeline.ops)) throw new OptionsError('createBatchRunner: pipeline must be a PipelineSpec');
  checkSpecSendable('createBatchRunner', options.pipeline);
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) throw new OptionsError(`createBatchRunner: threads must be a positive integer, got ${String(threads)}`);
  const timeoutMs = timeoutOption('createBatchRunner', 'taskTimeoutMs', options.taskTimeoutMs, DEFAULT_TASK_TIMEOUT_MS);
  const setupMs = timeoutOption('createBatchRunner', 'setupTimeoutMs', options.setupTimeoutMs, DEFAULT_TASK_TIMEOUT_MS);
  const spec = options.pipeline;
  const { filename, execArgv } = workerEntry(import.meta.url, './batch-worker');
  const pool = new Piscina({ filename, execArgv: [...execArgv], name: 'runBatch', minThreads: threads, maxThreads: threads });
  const watchdog = new TaskWatchdog({ setupMs, runMs: timeoutMs });
  let closed = false;
  let tasks = 0;
  let samples = 0;
  /** Tasks sent and not yet answered: `close` lets them settle before stopping the threads. */
  const pending = new Set<Promise<unknown>>();

  const runBatch = async (request: BatchRequest): Promise<BatchOutcome> => {
    if (closed) throw new FuseflowError('batch runner is closed');
    for (const item of request.items) if (item.statics !== undefined) checkSendable('createBatchRunner', item.statics);
    const ids = request.items.map((it) => it.id);
    const progress = progressBuffer();
    const { value: items, transfer } = forTransfer(request.items, { copyFrozen: true });
    const sentAt = Date.now();
    const task: BatchTask = {
      spec,
      items,
      run: request.run,
      collate: request.collate ?? {},
      progress,
      sentAt,
      ...(request.cacheFolder === undefined ? {} : { cacheFolder: request.cacheFolder }),
    };
    const abort = new AbortController();
    let timedOut: Timeout | undefined;
    const unwatch = watchdog.watch(progress, sentAt, (t) => {
      timedOut = t;
      abort.abort();
    });
    let result: BatchResult;
    try {
      const answer = pool.run(task, { transferList: transfer, signal: abort.signal }) as Promise<BatchResult>;
      pending.add(answer);
      try {
        result = await answer;
      } finally {
        pending.delete(answer);
      }
    } catch (err) {
      if (closed) throw new FuseflowError('batch runner closed while the task ran', { cause: err });
      const at = new Int32Array(progress);
      const itemIndex = timedOut?.sampleIndex ?? Atomics.load(at, 0);
      const opIndex = timedOut?.opIndex ?? Atomics.load(at, 1);
      const opSpec = spec.ops[opIndex];
      const opName = opIndex === -2 ? 'collate' : (opSpec?.name ?? '(batch setup)');
      const opId = opIndex === -2 ? `${spec.name}.collate` : opSpec === undefined ? `${spec.name}.setup` : (opSpec.id ?? `${spec.name}.${opIndex}.${opSpec.name}`);
      const reason =
        timedOut === undefined
          ? `worker thread died: ${err instanceof Error ? err.message : String(err)}`
          : timedOut.phase === Phase.setup
            ? `batch task setup ran past setupTimeoutMs (${String(timedOut.limitMs)} ms); its thread was stopped`
            : `batch sample ran past taskTimeoutMs (${String(timedOut.limitMs)} ms) on its worker; its thread was stopped`;
      throw new OpError(opName, opId, ids[itemIndex] ?? ids[0] ?? '?', new WorkerCrashError(reason, { cause: err }));
    } finally {
      unwatch();
    }
    tasks++;
    switch (result.kind) {
      case 'batch':
        samples += result.samples;
        return result;
      case 'missing':
        return result;
      case 'op-error':
        throw new OpError(result.op, result.opId, result.sampleId, new Error(result.message));
      case 'collate-error': {
        if (result.missing !== undefined) throw new MissingKeyError(result.missing.key, result.missing.closest, result.missing.sampleId);
        const Ctor = COLLATE_ERRORS[result.name] ?? FuseflowError;
        throw new Ctor(result.message);
      }
    }
  };

  return {
    pipeline: spec,
    taskTimeoutMs: timeoutMs,
    runBatch,
    stats: () => ({ tasks, samples }),
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      // Destroying the pool while a thread is answering makes piscina fail on the late message;
      // tasks already sent (at most the open streams' windows) finish first.
      await Promise.allSettled([...pending]);
      watchdog.stop();
      await pool.destroy();
    },
  };
}
