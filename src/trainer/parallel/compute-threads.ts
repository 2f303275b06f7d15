/**
 * How many compute threads `fit` trains with (this thread and `N − 1` model replicas on worker
 * threads, each computing a slice of every batch). The default is 1: the data
 * pipeline's workers (cache reads, augmentation) run on the same cores, and a second replica
 * only pays when a core is free for it. `'auto'` takes the machine's cores less the data
 * workers the caller declares (at least 1).
 */
import { availableParallelism } from 'node:os';
import { OptionsError } from '../../core/errors.js';

/** Options of {@link computeThreads}. */
export interface ComputeThreadsOptions {
  /** Requested replicas: a positive integer, or `'auto'`. Default 1. */
  readonly threads?: number | 'auto';
  /** Worker threads of the data pipeline, left to it by `'auto'`. Default 0. */
  readonly dataThreads?: number;
  /** Cores of the machine. Default `availableParallelism()`. */
  readonly cores?: number;
}

/**
 * The number of compute threads.
 * @example computeThreads({ threads: 'auto', dataThreads: 2, cores: 8 }) // 6
 * @throws {OptionsError} for a count that is not a positive integer or `'auto'`.
 */
export function computeThreads(options: ComputeThreadsOptions = {}): number {
  const threads = options.threads ?? 1;
  const data = options.dataThreads ?? 0;
  if (!Number.isInteger(data) || data < 0) throw new OptionsError(`fit: dataThreads must be an integer ≥ 0, got ${data}`);
  if (threads === 'auto') return Math.max(1, (options.cores ?? availableParallelism()) - data);
  if (!Number.isInteger(threads) || threads < 1) throw new OptionsError(`fit: threads must be a positive integer or 'auto', got ${String(threads)}`);
  return threads;
}
