/**
 * Filling a cache in parallel: initial ids not yet cached are computed on piscina worker threads
 * (each rebuilds the static pipeline from its spec), and each result is committed in its own LMDB
 * transaction as it arrives — a killed fill keeps everything committed, and a restart computes
 * only what is missing. At most one task per thread is in flight.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { OpError, OptionsError } from '../core/errors.js';
import { createSample } from '../core/sample.js';
import { workerEntry } from '../core/workers.js';
import { computeEntry, type FillResult, type FillTask } from './fill-worker.js';
import type { SampleCache } from './sample-cache.js';
import { STATIC_RUN } from './static-run.js';

/** Options of {@link fillCache} (and `SampleCache.fill`). */
export interface FillOptions {
  /** Worker threads; 0 computes in this thread. Default `availableParallelism()`. */
  readonly threads?: number;
  /** Initial ids per worker task. Default 2. */
  readonly idsPerTask?: number;
  /** `'stop'` rejects on the first failing sample (after committing what finished); `'skip'` counts it and goes on. Default `'stop'`. */
  readonly onError?: 'stop' | 'skip';
  /** Called after each committed initial id. */
  readonly onProgress?: (progress: { readonly done: number; readonly total: number; readonly initialId: string }) => void;
}

/** What a fill did. */
export interface FillReport {
  readonly requested: number;
  readonly alreadyCached: number;
  readonly computed: number;
  readonly dropped: number;
  readonly failed: readonly { readonly initialId: string; readonly message: string }[];
}

/**
 * Computes and commits every id of `ids` that `cache` lacks, then writes its manifest.
 * @example const report = await fillCache(cache, ids, { threads: 4, onError: 'skip' });
 * @throws {OptionsError} for a bad thread or task count.
 * @throws {OpError} under `onError: 'stop'` for the first failing sample (after committing what finished).
 * @throws {OutputError} naming the cache folder (or its manifest) when the disk is full or failing;
 *   every id committed before stays committed.
 */
export async function fillCache(cache: SampleCache, ids: Iterable<string>, options: FillOptions = {}): Promise<FillReport> {
  const threads = options.threads ?? availableParallelism();
  const perTask = options.idsPerTask ?? 2;
  if (!Number.isInteger(threads) || threads < 0) throw new OptionsError(`fill: threads must be a non-negative integer, got ${threads}`);
  if (!Number.isInteger(perTask) || perTask < 1) throw new OptionsError(`fill: idsPerTask must be a positive integer, got ${perTask}`);
  const all = [...new Set(ids)];
  const missing = all.filter((id) => !cache.has(id));
  const failed: { initialId: string; message: string }[] = [];
  let computed = 0;
  let dropped = 0;
  let firstError: OpError | undefined;
  const accept = (r: FillResult): void => {
    if ('error' in r) {
      failed.push({ initialId: r.initialId, message: r.error.message });
      if (firstError === undefined && options.onError !== 'skip') {
        firstError = new OpError(r.error.op ?? '?', r.error.opId ?? '?', r.error.sampleId ?? r.initialId, new Error(r.error.message));
      }
      return;
    }
    if (cache.commit(r)) {
      computed++;
      if (r.outputs.length === 0) dropped++;
    }
    options.onProgress?.({ done: computed, total: missing.length, initialId: r.initialId });
  };
  const tasks: string[][] = [];
  for (let i = 0; i < missing.length; i += perTask) tasks.push(missing.slice(i, i + perTask));
  if (threads === 0) {
    const p = await cache.requirePipeline();
    for (const id of missing) {
      accept(await computeEntry(p, id, createSample(id), STATIC_RUN));
      if (firstError !== undefined) break;
    }
  } else {
    const spec = await cache.workerSpec();
    const { filename, execArgv } = workerEntry(import.meta.url, './fill-worker');
    const pool = new Piscina({ filename, execArgv: [...execArgv], minThreads: threads, maxThreads: threads, name: 'fill' });
    try {
      let next = 0;
      const lane = async (): Promise<void> => {
        while (next < tasks.length && firstError === undefined) {
          const task: FillTask = { spec, ids: tasks[next++] as string[], run: STATIC_RUN };
          let results: FillResult[];
          try {
            results = (await pool.run(task)) as FillResult[];
          } catch (err) {
            // The thread died (e.g. an op called process.exit): its ids fail; what was committed stays.
            const message = `fill worker thread died: ${err instanceof Error ? err.message : String(err)}`;
            results = task.ids.map((initialId) => ({ initialId, error: { message } }));
          }
          for (const r of results) accept(r);
        }
      };
      // At most `threads` tasks in flight: one lane per thread.
      await Promise.all(Array.from({ length: Math.min(threads, tasks.length) }, lane));
    } finally {
      await pool.destroy();
    }
  }
  cache.flushManifest();
  if (firstError !== undefined) throw firstError;
  return { requested: all.length, alreadyCached: all.length - missing.length, computed, dropped, failed };
}
