/**
 * The batch-level path of a dataset: a stream of collated batches where each batch is built as
 * one unit — on a {@link BatchRunner}'s worker thread when one is given (the worker reads the
 * static outputs from the cache folder itself, runs the dynamic pipeline and collates), in-thread
 * otherwise. Same epoch order, sharding, run keys and collation as
 * `batch({ size })(dataset(...).stream(...))`, with one message per batch on the main thread.
 */
import { FuseflowError, OptionsError } from '../core/errors.js';
import { createSample, type Sample } from '../core/sample.js';
import { canonicalize } from '../core/fingerprint.js';
import { pipeline, pipelineSpec, type Pipeline, type RunKey } from '../ops/pipeline.js';
import { SampleCache } from '../cache/sample-cache.js';
import type { BatchRunner, BatchTaskItem } from './batch-runner.js';
import { collate, type CollateOptions } from './collate.js';
import { creditStream, type CreditStream } from './credit-stream.js';
import { dataset, type Dataset, type DatasetOptions, type ResumeState } from './dataset.js';
import { validateShard, type Shard } from './epoch-order.js';
import { orderedMap, type Cancellation } from './ordered-map.js';
import { idProcessor } from './process-id.js';
import { rankIds } from './rank-ids.js';
import { cancellable, CancelledError, positiveInteger } from './to-operator.js';

/** Options of {@link batchedDataset}: a dataset's options with a batch runner instead of a sample runner. */
export interface BatchedDatasetOptions extends Omit<DatasetOptions, 'runner'> {
  /**
   * Builds each batch on a worker thread. Build it from the dataset's dynamic pipeline
   * (`pipelineSpec(batchedDataset(...).dataset.dynamicPipeline)`, whose op indices continue after
   * the static ones). The batched dataset does not close it. Without it batches are built
   * in-thread. With a `SampleCache` store, workers read cached static outputs themselves; ids not
   * cached yet (and every id with another store or none) have their static outputs computed on the
   * main thread and sent — moved, so a `source` used without a store should return fresh arrays.
   */
  readonly batchRunner?: BatchRunner;
}

/** Options of {@link BatchedDataset.batches}. */
export interface BatchesOptions {
  /** Ids per batch. Required. */
  readonly size: number;
  /** Leave out a last batch of fewer than `size` ids. Default false. */
  readonly dropLast?: boolean;
  /** Default 0 (or the resume state's). */
  readonly epoch?: number;
  /** Run seed. Default 0 (or the resume state's). */
  readonly seed?: number;
  /** Seeded permutation of the ids each epoch. Default true. */
  readonly shuffle?: boolean;
  /** This rank's share of the epoch. Default `{ rank: 0, worldSize: 1 }`. */
  readonly shard?: Shard;
  /**
   * Most batches in flight (being built, ready, or in the consumer's hands): at most
   * `window × size` ids. Default 2.
   */
  readonly window?: number;
  /** Restart where a previous stream stopped (its `state()`, counted in samples); `epoch`/`seed` must agree if given. */
  readonly resume?: ResumeState;
  /** How samples are collated. Default `{}`. */
  readonly collate?: CollateOptions;
}

/** A stream of collated batches with credit counters (in batches) and a resume state (in samples). */
export interface BatchStream extends CreditStream<Sample> {
  /** Batches this rank streams from its start position. */
  readonly length: number;
  /** The state to pass as `resume` (to this or to `dataset.stream`) to continue after what was received. */
  state(): ResumeState;
}

/** A dataset with a batch-level stream. */
export interface BatchedDataset {
  /** The underlying dataset (per-sample `stream`, `get`, the pipelines). */
  readonly dataset: Dataset;
  /** Streams the epoch as collated batches (see {@link BatchesOptions}). */
  batches(options: BatchesOptions): BatchStream;
}

const NO_OPS = pipeline([], { name: 'batched.none' });

/**
 * Builds a dataset with a batch-level stream.
 *
 * A batch is the next `size` ids of this rank's epoch order (`rankIds`, as in `dataset.stream`;
 * ids may be an id column, decoded batch by batch); each id runs `source` → static pipeline (through the store) → dynamic
 * pipeline with the stream's `(seed, epoch)`, and the batch's outputs are collated. With a
 * one-output-per-id pipeline the batches equal `batch({ size, dropLast, collate })` over
 * `dataset.stream` with the same options, bit for bit; an id the pipelines drop or split makes
 * its batch hold fewer or more samples (a batch whose ids all drop is skipped). Cache audits are
 * not run on this path.
 * @example
 * const dynamicPipeline = pipeline(augmentOps, { name: 'dynamic', opIndexBase: staticOps.length });
 * const runner = createBatchRunner({ pipeline: pipelineSpec(dynamicPipeline), threads: 2 });
 * const bd = batchedDataset({ ids, source, staticPipeline: staticOps, dynamicPipeline, store: cache, batchRunner: runner });
 * for await (const b of bd.batches({ size: 64, epoch, seed, window: 3, dropLast: true })) step(b);
 * @throws {OptionsError} as `dataset` does, and when the batch runner runs another pipeline;
 * `batches` throws it for bad options.
 */
export function batchedDataset(options: BatchedDatasetOptions): BatchedDataset {
  const { batchRunner, ...datasetOptions } = options;
  const ds = dataset(datasetOptions);
  const staticP = ds.staticPipeline;
  const dynamicP = ds.dynamicPipeline;
  if (batchRunner !== undefined && canonicalize(batchRunner.pipeline) !== canonicalize(pipelineSpec(dynamicP))) {
    throw new OptionsError(
      `batchedDataset: the batch runner runs pipeline '${batchRunner.pipeline.name}' (${batchRunner.pipeline.ops.length} ops), not this dataset's dynamic pipeline; build it from pipelineSpec(batchedDataset(...).dataset.dynamicPipeline) (op indices start after the static ops)`,
    );
  }
  const store = options.store;
  const cache = store instanceof SampleCache ? store : undefined;
  const processId = idProcessor({ source: options.source ?? ((id: string) => createSample(id)), store, runner: undefined });

  const batches = (opts: BatchesOptions): BatchStream => {
    if (typeof opts !== 'object' || opts === null) throw new OptionsError('batches: options with a size are required');
    const size = positiveInteger('batches: size', opts.size, 1);
    const { resume } = opts;
    if (resume !== undefined) {
      if (opts.epoch !== undefined && opts.epoch !== resume.epoch) throw new OptionsError(`batches: epoch ${opts.epoch} disagrees with the resume state's ${resume.epoch}`);
      if (opts.seed !== undefined && opts.seed !== resume.seed) throw new OptionsError(`batches: seed ${opts.seed} disagrees with the resume state's ${resume.seed}`);
    }
    const epoch = resume?.epoch ?? opts.epoch ?? 0;
    const seed = resume?.seed ?? opts.seed ?? 0;
    if (!Number.isInteger(epoch) || epoch < 0) throw new OptionsError(`batches: epoch must be a non-negative integer, got ${String(epoch)}`);
    if (!Number.isFinite(seed)) throw new OptionsError(`batches: seed must be a finite number, got ${String(seed)}`);
    const shard = opts.shard ?? { rank: 0, worldSize: 1 };
    validateShard(shard);
    const window = positiveInteger('batches: window', opts.window, 2);
    const collateOptions = opts.collate ?? {};
    const mine = rankIds(ds.ids, { epoch, seed, shuffle: opts.shuffle ?? true, shard });
    const start = resume?.position ?? 0;
    if (!Number.isInteger(start) || start < 0 || start > mine.length) {
      throw new OptionsError(`batches: resume position ${String(start)} is outside this rank's ${mine.length} ids`);
    }
    const left = mine.length - start;
    const count = opts.dropLast === true ? Math.floor(left / size) : Math.ceil(left / size);
    const run: RunKey = { seed, epoch };
    const idsOf = (b: number): string[] => {
      const out: string[] = [];
      for (let p = start + b * size, end = Math.min(start + (b + 1) * size, mine.length); p < end; p++) out.push(mine.at(p));
      return out;
    };

    let guarded: { cancel: Cancellation; sp: Pipeline; dp: Pipeline } | undefined;
    const guard = (cancel: Cancellation): { sp: Pipeline; dp: Pipeline } => {
      if (guarded?.cancel !== cancel) guarded = { cancel, sp: cancellable(staticP, cancel), dp: cancellable(dynamicP, cancel) };
      return guarded;
    };
    const staticsOf = async (id: string, sp: Pipeline): Promise<readonly Sample[]> => processId(id, run, sp, NO_OPS, undefined, undefined);

    const inThread = async (ids: readonly string[], cancel: Cancellation): Promise<Sample[]> => {
      const { sp, dp } = guard(cancel);
      const outs: Sample[] = [];
      for (const id of ids) for (const s of await processId(id, run, sp, dp, cancel, undefined)) outs.push(s);
      return outs.length === 0 ? [] : [collate(outs, collateOptions)];
    };

    const offThread = async (runner: BatchRunner, ids: readonly string[], cancel: Cancellation): Promise<Sample[]> => {
      const { sp } = guard(cancel);
      const item = async (id: string, cached: boolean): Promise<BatchTaskItem> => (cached ? { id } : { id, statics: await staticsOf(id, sp) });
      let items = await Promise.all(ids.map((id) => item(id, cache?.has(id) === true)));
      // Each retry sends the static outputs of the ids the worker could not read (committed after
      // its read snapshot), so it ends after at most `ids.length` retries.
      for (;;) {
        if (cancel.cancelled) throw new CancelledError();
        const out = await runner.runBatch({ items, run, collate: collateOptions, ...(cache === undefined ? {} : { cacheFolder: cache.folder }) });
        if (out.kind === 'batch') return out.batch === undefined ? [] : [out.batch];
        const missing = new Set(out.ids);
        if (!items.some((it) => it.statics === undefined && missing.has(it.id))) {
          throw new FuseflowError(`batches: the batch worker reported ids missing from the cache that were sent: ${out.ids.join(', ')}`);
        }
        items = await Promise.all(items.map((it) => (it.statics === undefined && missing.has(it.id) ? item(it.id, false) : Promise.resolve(it))));
      }
    };

    const stage = orderedMap<number, Sample[]>((b, cancel) => (batchRunner === undefined ? inThread(idsOf(b), cancel) : offThread(batchRunner, idsOf(b), cancel)), window);
    const inner = creditStream(range(0, count), stage, { window });
    return {
      stats: inner.stats,
      window: inner.window,
      length: count,
      state: () => ({ epoch, seed, position: Math.min(mine.length, start + inner.stats.completed * size) }),
      [Symbol.asyncIterator]: () => inner[Symbol.asyncIterator](),
    };
  };

  return { dataset: ds, batches };
}

/** The integers `from, from + 1, …, to - 1`, lazily. */
function range(from: number, to: number): Iterable<number> {
  return {
    [Symbol.iterator]: (): Iterator<number> => {
      let i = from;
      return { next: () => (i < to ? { done: false, value: i++ } : { done: true, value: undefined }) };
    },
  };
}
