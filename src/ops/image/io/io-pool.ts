/**
 * The shared image IO pool: piscina worker threads that run itk-wasm readers and writers off the
 * main thread. Created on first use, bounded, closable; idle workers are unref'd by piscina and
 * exit after `idleTimeoutMs`, so the pool never keeps the process alive.
 */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { FuseflowError, OptionsError } from '../../../core/errors.js';
import { workerEntry } from '../../../core/workers.js';
import type { IoReply } from './io-reply.js';
import type { ReadTask, TagsTask, WriteTask } from './io-worker.js';

/** Pool settings (applied when the pool is next created). */
export interface IoPoolOptions {
  /** Worker threads. Default: min(2, available cores). */
  readonly threads?: number;
  /** Tasks submitted to piscina at once (running + queued); further calls wait their turn. Default: 2 × threads. */
  readonly maxPending?: number;
  /** Milliseconds an idle worker lives before exiting (it frees its wasm heaps). Default 30 000. */
  readonly idleTimeoutMs?: number;
}

let settings: Required<IoPoolOptions> = defaults({});
let pool: Piscina | undefined;
let pending = 0;
const waiting: Array<() => void> = [];

function defaults(o: IoPoolOptions): Required<IoPoolOptions> {
  const threads = o.threads ?? Math.max(1, Math.min(2, os.availableParallelism()));
  return { threads, maxPending: o.maxPending ?? 2 * threads, idleTimeoutMs: o.idleTimeoutMs ?? 30_000 };
}

/**
 * Sets the pool's size and bounds; closes the current pool (it is recreated on next use).
 * @throws {OptionsError} for a non-positive thread count or pending bound.
 */
export async function configureIoPool(options: IoPoolOptions): Promise<void> {
  const next = defaults(options);
  if (!Number.isInteger(next.threads) || next.threads < 1) throw new OptionsError(`io pool: threads must be a positive integer, got ${options.threads}`);
  if (!Number.isInteger(next.maxPending) || next.maxPending < 1) throw new OptionsError(`io pool: maxPending must be a positive integer, got ${options.maxPending}`);
  await closeIoPool();
  settings = next;
}

function sharedPool(): Piscina {
  if (pool === undefined) {
    const entry = workerEntry(import.meta.url, './io-worker');
    // from TypeScript sources, Node 20 ignores `--import tsx` in workers: a bootstrap registers tsx
    const filename = entry.filename.endsWith('.ts') ? fileURLToPath(new URL('./io-worker-tsx.mjs', import.meta.url)) : entry.filename;
    pool = new Piscina({
      filename,
      minThreads: 0,
      maxThreads: settings.threads,
      idleTimeout: settings.idleTimeoutMs,
      maxQueue: settings.maxPending,
    });
    const current = pool;
    // a worker that fails to start or dies outside a task: drop this pool (queued tasks reject) and start afresh next time
    current.on('error', () => {
      if (pool === current) pool = undefined;
      void current.destroy();
    });
  }
  return pool;
}

/** Runs a task on the shared pool, waiting for a slot when `maxPending` tasks are out. */
export async function runIoTask<T>(name: 'readTask' | 'writeTask' | 'tagsTask', task: ReadTask | WriteTask | TagsTask): Promise<IoReply<T>> {
  while (pending >= settings.maxPending) await new Promise<void>((ok) => waiting.push(ok));
  pending++;
  try {
    return (await sharedPool().run(task, { name })) as IoReply<T>;
  } catch (err) {
    const path = (task as { path: string }).path;
    throw new FuseflowError(`${path}: the image IO worker failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  } finally {
    pending--;
    waiting.shift()?.();
  }
}

/** The pool's current size limits and load (for tests and benchmarks). */
export function ioPoolStats(): { threads: number; maxPending: number; pending: number; created: boolean } {
  return { threads: settings.threads, maxPending: settings.maxPending, pending, created: pool !== undefined };
}

/** Closes the shared pool (waits for running tasks); the next read creates a new one. */
export async function closeIoPool(): Promise<void> {
  const p = pool;
  pool = undefined;
  if (p !== undefined) await p.close();
}
