/**
 * Contracts between the dataset stream and the modules that plug into it. The cache
 * (src/cache) implements {@link StaticStore}; the worker pool implements {@link DynamicRunner}.
 * Keeping them structural lets the stream run with neither (everything in-thread). They live in
 * src/workers, the folder below both streams and cache, so neither imports the other for them.
 */
import type { Sample } from '../core/sample.js';
import type { RunKey } from '../ops/pipeline.js';

/** Where the static pipeline's output lives once computed (the LMDB + Arrow cache implements this). */
export interface StaticStore {
  /**
   * The static pipeline's output samples for `initialId` (empty when the pipeline dropped it,
   * several when it split it). Computes with `compute` and stores the result when absent.
   * Returned values are read-only.
   */
  getOrCompute(initialId: string, compute: () => Promise<readonly Sample[]>): Promise<readonly Sample[]>;
}

/** Runs the dynamic pipeline off the calling thread (the piscina pool implements this). */
export interface DynamicRunner {
  /**
   * Runs the dynamic pipeline on each sample; the result has one entry per input sample holding
   * its outputs, equal bit for bit to `runPipeline` in-thread for the same run key.
   */
  run(samples: readonly Sample[], run: RunKey): Promise<Sample[][]>;
  /** Stops the workers; pending calls reject. */
  close(): Promise<void>;
}
