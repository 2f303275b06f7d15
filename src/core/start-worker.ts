/**
 * Starting a plain worker thread (not a piscina pool) on an entry module that sits beside the
 * calling module, located by {@link workerEntry}, compiled or from TypeScript sources. Compiled (`dist/**.js`): the thread loads the `.js` module directly.
 * From sources (vitest, tsx): Node 20 does not apply `--import tsx` inside worker threads, so the
 * thread starts on `tsx-bootstrap.mjs`, which registers tsx and imports the `.ts` module. Either
 * way the entry module reads what it was given with {@link workerInput}.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, workerData } from 'node:worker_threads';
import { workerEntry } from './workers.js';

/** Options of {@link startWorker}. */
export interface StartWorkerOptions {
  /** Structured-cloneable value handed to the entry module ({@link workerInput}). */
  readonly input?: unknown;
  /** Name shown in debuggers and `process.title`-like listings. */
  readonly name?: string;
}

/** What a thread started by {@link startWorker} receives as `workerData`. */
interface WorkerBoot {
  /** URL of the entry module (used by the TypeScript bootstrap). */
  readonly entry: string;
  readonly input: unknown;
}

/**
 * Starts a worker thread on module `name` (relative, without extension) beside `callerUrl`.
 *
 * @example const worker = startWorker(import.meta.url, './eval-worker', { input: { lane: 0 } });
 * @throws Error when the entry module does not exist (a packaging fault, not bad input).
 */
export function startWorker(callerUrl: string, name: string, options: StartWorkerOptions = {}): Worker {
  const { filename, fromSources } = workerEntry(callerUrl, name);
  const boot: WorkerBoot = { entry: pathToFileURL(filename).href, input: options.input };
  const script = fromSources ? fileURLToPath(new URL('./tsx-bootstrap.mjs', import.meta.url)) : filename;
  return new Worker(script, { workerData: boot, ...(options.name === undefined ? {} : { name: options.name }) });
}

/** Inside a thread started by {@link startWorker}: the `input` it was started with. */
export function workerInput(): unknown {
  const boot = workerData as Partial<WorkerBoot> | null;
  return boot?.input;
}
