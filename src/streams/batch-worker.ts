/**
 * Piscina worker of the batch-level path: one task is one whole batch. It reads the static
 * outputs of its ids from the cache folder itself (opened read-only once per thread and folder)
 * or takes them from the task, runs the dynamic pipeline (rebuilt once per thread from its spec)
 * with each id's `(seed, epoch, sampleId, opIndex)` key, collates, and sends the collated batch
 * back in one message with its buffers in the transfer list. Before each sample and op it records
 * where it is in a shared progress array, so a dying thread can still be named.
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { MissingKeyError, OpError } from '../core/errors.js';
import type { Sample } from '../core/sample.js';
import { runPipeline, type PipelineSpec, type RunKey } from '../ops/pipeline.js';
import { openCacheFolder } from '../cache/open-cache.js';
import type { SampleCache } from '../cache/sample-cache.js';
import { collate, type CollateOptions } from './collate.js';
import { rebuildPipeline } from '../workers/rebuild-pipeline.js';
import { forTransfer } from '../workers/transfer-list.js';
import { Phase, WorkerProgress } from '../workers/worker-progress.js';

/** One id of a batch task: its static outputs when sent, else read from the cache folder. */
export interface BatchTaskItem {
  readonly id: string;
  readonly statics?: readonly Sample[];
}

/** One batch task. */
export interface BatchTask {
  readonly spec: PipelineSpec;
  /** Cache folder to read the static outputs of items without `statics`. */
  readonly cacheFolder?: string;
  readonly items: readonly BatchTaskItem[];
  readonly run: RunKey;
  readonly collate: CollateOptions;
  /** Progress array (see worker-progress.ts) written as the task advances. */
  readonly progress: SharedArrayBuffer;
  /** `Date.now()` on the main thread when the task was sent (phase start times are relative to it). */
  readonly sentAt: number;
}

/** What a batch task returns. */
export type BatchResult =
  /** The collated batch (`undefined` when every id was dropped) and how many samples it holds. */
  | { readonly kind: 'batch'; readonly batch: Sample | undefined; readonly samples: number }
  /** Ids the cache folder did not hold (yet): the caller sends their static outputs. */
  | { readonly kind: 'missing'; readonly ids: readonly string[] }
  | { readonly kind: 'op-error'; readonly op: string; readonly opId: string; readonly sampleId: string; readonly message: string }
  /** Collation failed: the error's class name and message (and a missing key's details). */
  | {
      readonly kind: 'collate-error';
      readonly name: string;
      readonly message: string;
      readonly missing?: { readonly key: string; readonly closest: readonly string[]; readonly sampleId: string | undefined };
    };

const tracker = new WorkerProgress();
const caches = new Map<string, Promise<SampleCache>>();

function cacheAt(folder: string): Promise<SampleCache> {
  let c = caches.get(folder);
  if (c === undefined) {
    c = openCacheFolder(folder, { audit: false, readOnly: true });
    caches.set(folder, c);
    c.catch(() => caches.delete(folder));
  }
  return c;
}

function reply(result: BatchResult, transfer: ArrayBuffer[] = []): unknown {
  return move({ [transferableSymbol]: transfer, [valueSymbol]: result });
}

/** Piscina entry point (run with `{ name: 'runBatch' }`). */
export async function runBatch(task: BatchTask): Promise<unknown> {
  tracker.begin(task.progress, task.sentAt);
  const statics: (readonly Sample[])[] = [];
  const missing: string[] = [];
  const cache = task.cacheFolder === undefined ? undefined : await cacheAt(task.cacheFolder);
  for (const item of task.items) {
    if (item.statics !== undefined) statics.push(item.statics);
    else {
      const got = cache === undefined ? undefined : await cache.get(item.id);
      if (got === undefined) missing.push(item.id);
      else statics.push(got);
    }
  }
  if (missing.length > 0) return reply({ kind: 'missing', ids: missing });
  const p = tracker.instrument(await rebuildPipeline(task.spec));
  const outputs: Sample[] = [];
  for (let i = 0; i < statics.length; i++) {
    for (const s of statics[i] as readonly Sample[]) {
      tracker.startSample(i); // each static output gets its own running time
      try {
        const outs = p.ops.length === 0 ? [s] : await runPipeline(p, s, task.run);
        for (const o of outs) outputs.push(o);
      } catch (err) {
        const e = err instanceof OpError ? err : new OpError('?', '?', '?', err);
        const cause = e.cause instanceof Error ? e.cause.message : String(e.cause);
        return reply({ kind: 'op-error', op: e.op, opId: e.opId, sampleId: e.sampleId, message: cause });
      }
    }
  }
  tracker.enter(Phase.running); // collating: timed like a sample
  tracker.atOp(-2);
  if (outputs.length === 0) return reply({ kind: 'batch', batch: undefined, samples: 0 });
  let collated: Sample;
  try {
    collated = collate(outputs, task.collate);
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    const missing = err instanceof MissingKeyError ? { key: err.key, closest: err.closest, sampleId: err.sampleId } : undefined;
    return reply({ kind: 'collate-error', name: e.constructor.name, message: e.message, ...(missing === undefined ? {} : { missing }) });
  }
  const { value, transfer } = forTransfer(collated, { copyFrozen: true, copyPartial: false, keep: tracker.constantsOf(p) });
  return reply({ kind: 'batch', batch: value, samples: outputs.length }, transfer);
}
