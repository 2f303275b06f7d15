/**
 * The per-id work of a dataset: source → static pipeline (through the store) → dynamic pipeline
 * (through the runner). Shared by `dataset().stream()` and `dataset().get()`; allocates no
 * closures while everything is synchronous.
 */
import { FuseflowError, OpError } from '../core/errors.js';
import type { Sample } from '../core/sample.js';
import { runPipeline, type Pipeline, type RunKey } from '../ops/pipeline.js';
import type { DynamicRunner, StaticStore } from '../workers/contracts.js';
import type { Cancellation } from './ordered-map.js';
import type { RunnerBatcher } from './runner-batcher.js';
import { CancelledError } from './to-operator.js';

/** What {@link idProcessor} needs from the dataset. */
export interface IdProcessorOptions {
  readonly source: (id: string) => Sample | Promise<Sample>;
  readonly store: StaticStore | undefined;
  readonly runner: DynamicRunner | undefined;
}

/** Runs one id: its outputs, synchronously when every stage is synchronous. */
export type ProcessId = (
  id: string,
  run: RunKey,
  sp: Pipeline,
  dp: Pipeline,
  cancel: Cancellation | undefined,
  batcher: RunnerBatcher | undefined,
) => Sample[] | PromiseLike<Sample[]>;

function isThenable<T>(x: unknown): x is PromiseLike<T> {
  return typeof x === 'object' && x !== null && typeof (x as { then?: unknown }).then === 'function';
}

/** Static ops are deterministic: they run with a fixed key, so the cache holds one value per id. */
const STATIC_RUN: RunKey = { seed: 0, epoch: 0 };

/**
 * Builds the per-id function. A failing source becomes an `OpError` for op `'source'` naming the
 * id; op failures are `OpError`s from the pipelines; after `cancel` no further stage starts.
 */
export function idProcessor(options: IdProcessorOptions): ProcessId {
  const { source, store, runner } = options;

  const initial = (id: string): Sample | PromiseLike<Sample> => {
    try {
      const s = source(id);
      return isThenable<Sample>(s)
        ? s.then(undefined, (err: unknown) => {
            throw new OpError('source', 'dataset.source', id, err);
          })
        : s;
    } catch (err) {
      throw new OpError('source', 'dataset.source', id, err);
    }
  };

  // The per-sample path allocates no closures while everything is synchronous.
  const computeStatic = (id: string, sp: Pipeline): Sample[] | PromiseLike<Sample[]> => {
    const s = initial(id);
    if (isThenable<Sample>(s)) return s.then((x) => runPipeline(sp, x, STATIC_RUN));
    if (sp.ops.length === 0) return [s];
    return runPipeline(sp, s, STATIC_RUN);
  };

  const staticOutputs = (id: string, sp: Pipeline): readonly Sample[] | PromiseLike<readonly Sample[]> => {
    if (store === undefined) return computeStatic(id, sp);
    return store.getOrCompute(id, async () => computeStatic(id, sp));
  };

  const dynamicOutputs = (
    statics: readonly Sample[],
    dp: Pipeline,
    run: RunKey,
    cancel: Cancellation | undefined,
    batcher: RunnerBatcher | undefined,
  ): Sample[] | PromiseLike<Sample[]> => {
    if (statics.length === 0 || dp.ops.length === 0) return statics as Sample[];
    if (cancel?.cancelled === true) throw new CancelledError();
    if (batcher !== undefined) return batcher(statics);
    if (runner !== undefined) {
      return runner.run(statics, run).then((groups) => {
        if (groups.length !== statics.length) {
          throw new FuseflowError(`dynamic runner returned ${groups.length} result groups for ${statics.length} samples`);
        }
        return groups.flat();
      });
    }
    if (statics.length === 1) return runPipeline(dp, statics[0] as Sample, run);
    return runEach(statics, 0, [], dp, run);
  };

  return (id: string, run: RunKey, sp: Pipeline, dp: Pipeline, cancel: Cancellation | undefined, batcher: RunnerBatcher | undefined): Sample[] | PromiseLike<Sample[]> => {
    const statics = staticOutputs(id, sp);
    if (isThenable<readonly Sample[]>(statics)) return statics.then((st) => dynamicOutputs(st, dp, run, cancel, batcher));
    return dynamicOutputs(statics, dp, run, cancel, batcher);
  };
}

function runEach(statics: readonly Sample[], from: number, out: Sample[], dp: Pipeline, run: RunKey): Sample[] | Promise<Sample[]> {
  for (let i = from; i < statics.length; i++) {
    const r = runPipeline(dp, statics[i] as Sample, run);
    if (isThenable<Sample[]>(r)) {
      return r.then((outs) => {
        for (const s of outs) out.push(s);
        return runEach(statics, i + 1, out, dp, run);
      });
    }
    for (const s of r) out.push(s);
  }
  return out;
}
