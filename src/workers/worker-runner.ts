/**
 * The dynamic stage on worker threads: a piscina pool that implements {@link DynamicRunner}.
 * Workers rebuild the dynamic pipeline from its spec (built-in ops from `src/ops`, user ops from
 * the module path in their spec), samples go out and come back with their typed arrays in the
 * transfer list (moved, not copied), several samples per task, with a bounded number of tasks in
 * flight. Output equals in-thread `runPipeline` bit for bit for the same run key, whatever the
 * number of threads: every random op draws from `(seed, epoch, sampleId, opIndex)`.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { FuseflowError, OpError, OptionsError } from '../core/errors.js';
import { sampleIdOf, type Sample } from '../core/sample.js';
import { workerEntry } from '../core/workers.js';
import type { PipelineSpec, RunKey } from '../ops/pipeline.js';
import type { DynamicRunner } from './contracts.js';
import type { RunnerResult, RunnerTask } from './runner-worker.js';
import { DEFAULT_TASK_TIMEOUT_MS, TaskWatchdog, timeoutOption, type Timeout } from './task-watchdog.js';
import { buffersIn, checkSendable, checkSpecSendable, forTransfer } from './transfer-list.js';
import { Phase, progressBuffer } from './worker-progress.js';

export { DEFAULT_TASK_TIMEOUT_MS } from './task-watchdog.js';

/** Options of {@link createWorkerRunner}. */
export interface WorkerRunnerOptions {
  /** The dynamic pipeline's spec (`pipelineSpec(p)`). Required. */
  readonly pipeline: PipelineSpec;
  /** Worker threads. Default `availableParallelism()`. */
  readonly threads?: number;
  /** Samples per task (amortizes the round trip). Default 4. */
  readonly samplesPerTask?: number;
  /**
   * Tasks in flight per `run` call: a call holds at most this × `samplesPerTask` samples off-thread.
   * Concurrent calls (the dataset's window) multiply it; the pool's queue itself is unbounded so
   * that concurrent calls never fail for a full queue. Default `2 × threads`.
   */
  readonly maxTasksInFlight?: number;
  /**
   * `'stop'` (default): `run` rejects with the first {@link OpError}. `'skip'`: a failing sample
   * yields no outputs, is counted in {@link WorkerRunner.stats} and the run goes on. When a worker
   * thread dies or is stopped for its time, the sample that was running is skipped (the error
   * names it and its op); the other samples of its task run again in tasks of their own when
   * their arrays were copied rather than moved (frozen inputs, such as the cache's, under
   * `copyFrozen`); samples whose arrays were moved to the dead thread are lost and counted as
   * skipped.
   */
  readonly onError?: 'stop' | 'skip';
  /**
   * Milliseconds one sample may run on its worker, counted from when the worker starts on it:
   * time in the pool's queue and time spent on the other samples of its task do not count. Past
   * it the thread is stopped (a loop that never yields included), the task fails like a crashed
   * worker (naming the sample and op that were running) and a fresh thread takes over. Default
   * {@link DEFAULT_TASK_TIMEOUT_MS} (10 minutes); `0` or `Infinity`: no limit.
   */
  readonly taskTimeoutMs?: number;
  /**
   * Milliseconds a task's setup may run on its worker (importing op modules and building the
   * pipeline, once per thread), counted from when the worker starts the task. Default
   * {@link DEFAULT_TASK_TIMEOUT_MS}; `0` or `Infinity`: no limit.
   */
  readonly setupTimeoutMs?: number;
  /**
   * Copy typed arrays held by frozen (read-only, e.g. cached) objects before moving them, instead
   * of detaching them. Default `true`; arrays in unfrozen samples are always moved, so the
   * caller's arrays are detached after `run` — pass samples you own.
   */
  readonly copyFrozen?: boolean;
}

/** Counters of a runner. */
export interface WorkerRunnerStats {
  readonly tasks: number;
  readonly samples: number;
  readonly skipped: number;
  /** The most recent errors (at most 100). */
  readonly errors: readonly OpError[];
}

/** A {@link DynamicRunner} with counters. */
export interface WorkerRunner extends DynamicRunner {
  /** The per-sample running-time limit in force (`Infinity`: none). */
  readonly taskTimeoutMs: number;
  stats(): WorkerRunnerStats;
}

/** A worker thread ended while running a task. */
export class WorkerCrashError extends FuseflowError {}

const MAX_ERRORS = 100;

/**
 * Starts a pool of worker threads running `pipeline`.
 * @example
 * const runner = createWorkerRunner({ pipeline: pipelineSpec(dynamicOps), threads: 4, samplesPerTask: 8, onError: 'skip' });
 * const outputs = await runner.run(samples, { seed: 42, epoch: 3 }); // one Sample[] per input
 * await runner.close();
 * @throws {OptionsError} for a missing spec or a non-positive count. `run` rejects with an
 * {@link OpError} (see `onError`), or a `TypeMismatchError` naming the sample and key when a
 * sample holds data that cannot cross threads (a function, a class instance).
 */
export function createWorkerRunner(options: WorkerRunnerOptions): WorkerRunner {
  if (options.pipeline === undefined || !Array.isArray(options.pipeline.ops)) throw new OptionsError('createWorkerRunner: pipeline must be a PipelineSpec');
  checkSpecSendable('createWorkerRunner', options.pipeline);
  const threads = options.threads ?? availableParallelism();
  const perTask = options.samplesPerTask ?? 4;
  const inFlight = options.maxTasksInFlight ?? 2 * threads;
  for (const [name, v] of [
    ['threads', threads],
    ['samplesPerTask', perTask],
    ['maxTasksInFlight', inFlight],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new OptionsError(`createWorkerRunner: ${name} must be a positive integer, got ${String(v)}`);
  }
  const timeoutMs = timeoutOption('createWorkerRunner', 'taskTimeoutMs', options.taskTimeoutMs, DEFAULT_TASK_TIMEOUT_MS);
  const setupMs = timeoutOption('createWorkerRunner', 'setupTimeoutMs', options.setupTimeoutMs, DEFAULT_TASK_TIMEOUT_MS);
  const onError = options.onError ?? 'stop';
  if (onError !== 'stop' && onError !== 'skip') throw new OptionsError(`createWorkerRunner: onError must be 'stop' or 'skip', got '${String(onError)}'`);
  const spec = options.pipeline;
  const { filename, execArgv } = workerEntry(import.meta.url, './runner-worker');
  const pool = new Piscina({ filename, execArgv: [...execArgv], name: 'runTask', minThreads: threads, maxThreads: threads });
  const watchdog = new TaskWatchdog({ setupMs, runMs: timeoutMs });
  let closed = false;
  let tasks = 0;
  let samplesDone = 0;
  let skipped = 0;
  const errors: OpError[] = [];
  const record = (e: OpError): void => {
    errors.push(e);
    if (errors.length > MAX_ERRORS) errors.shift();
  };

  /**
   * After a task's thread died or was stopped (under `'skip'`): the sample that was running is
   * skipped; each other sample whose arrays were not moved to the dead thread (a frozen, e.g.
   * cached, input is sent as a copy) runs again in a task of its own; the rest are skipped too.
   * A thread lost during setup (`culprit` -1) takes its whole task with it.
   */
  const rescue = async (batch: readonly Sample[], culprit: number, moved: readonly ArrayBuffer[], run: RunKey): Promise<Sample[][]> => {
    const gone = new Set<ArrayBufferLike>(moved);
    const out: Sample[][] = [];
    for (let i = 0; i < batch.length; i++) {
      const s = batch[i] as Sample;
      const intact = culprit >= 0 && i !== culprit && ![...buffersIn(s)].some((b) => gone.has(b));
      if (intact) out.push(...(await runTask([s], run)));
      else {
        skipped++;
        out.push([]);
      }
    }
    return out;
  };

  const runTask = async (batch: readonly Sample[], run: RunKey): Promise<Sample[][]> => {
    const ids = batch.map(sampleIdOf);
    const progress = progressBuffer();
    const { value, transfer } = forTransfer(batch, { copyFrozen: options.copyFrozen ?? true });
    const sentAt = Date.now();
    const task: RunnerTask = { spec, samples: value, run, progress, sentAt, onError };
    const abort = new AbortController();
    let timedOut: Timeout | undefined;
    const unwatch = watchdog.watch(progress, sentAt, (t) => {
      timedOut = t;
      abort.abort();
    });
    let results: RunnerResult[];
    try {
      results = (await pool.run(task, { transferList: transfer, signal: abort.signal })) as RunnerResult[];
    } catch (err) {
      if (closed) throw new FuseflowError('worker runner closed while the task ran', { cause: err });
      const at = new Int32Array(progress);
      const sampleIndex = timedOut?.sampleIndex ?? Atomics.load(at, 0);
      const opIndex = timedOut?.opIndex ?? Atomics.load(at, 1);
      const opSpec = spec.ops[opIndex];
      // opIndex -1: the thread died or timed out before the first op (starting, importing op modules).
      const opName = opSpec?.name ?? '(pipeline setup)';
      const opId = opSpec === undefined ? `${spec.name}.setup` : (opSpec.id ?? `${spec.name}.${opIndex}.${opSpec.name}`);
      const reason =
        timedOut === undefined
          ? `worker thread died: ${err instanceof Error ? err.message : String(err)}`
          : timedOut.phase === Phase.setup
            ? `worker setup ran past setupTimeoutMs (${String(timedOut.limitMs)} ms); its thread was stopped`
            : `sample ran past taskTimeoutMs (${String(timedOut.limitMs)} ms) on its worker; its thread was stopped`;
      const crash = new WorkerCrashError(reason, { cause: err });
      const e = new OpError(opName, opId, ids[sampleIndex] ?? ids[0] ?? '?', crash);
      if (onError === 'stop') throw e;
      record(e);
      tasks++;
      return rescue(batch, sampleIndex, transfer, run);
    } finally {
      unwatch();
    }
    tasks++;
    return results.map((r) => {
      if ('outputs' in r) {
        samplesDone++;
        return r.outputs;
      }
      const e = new OpError(r.error.op, r.error.opId, r.error.sampleId, new Error(r.error.message));
      if (onError === 'stop') throw e;
      record(e);
      skipped++;
      return [];
    });
  };

  return {
    async run(samples: readonly Sample[], run: RunKey): Promise<Sample[][]> {
      if (closed) throw new FuseflowError('worker runner is closed');
      checkSendable('createWorkerRunner', samples);
      const batches: Sample[][] = [];
      for (let i = 0; i < samples.length; i += perTask) batches.push(samples.slice(i, i + perTask));
      const out: Sample[][][] = new Array<Sample[][]>(batches.length);
      let next = 0;
      let failed: unknown;
      const lane = async (): Promise<void> => {
        while (next < batches.length && failed === undefined) {
          const i = next++;
          try {
            out[i] = await runTask(batches[i] as Sample[], run);
          } catch (err) {
            failed ??= err;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(inFlight, batches.length) }, lane));
      if (failed !== undefined) throw failed instanceof Error ? failed : new FuseflowError('worker runner task failed', { cause: failed });
      return out.flat();
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      watchdog.stop();
      await pool.destroy();
    },
    taskTimeoutMs: timeoutMs,
    stats: () => ({ tasks, samples: samplesDone, skipped, errors: [...errors] }),
  };
}
