/**
 * The dataset: sample ids, a static pipeline (deterministic, cacheable) and a dynamic pipeline
 * (random, run every epoch), streamed under a credit window in a seeded, sharded, resumable
 * order. FuseMedML's `DatasetDefault`, as a stream.
 */
import type { Observable } from 'rxjs';
import { FuseflowError, OptionsError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { createSample, type Sample } from '../core/sample.js';
import type { Op } from '../ops/op.js';
import { pipeline, type Pipeline, type RunKey } from '../ops/pipeline.js';
import { asObservable } from './as-observable.js';
import type { DynamicRunner, StaticStore } from '../workers/contracts.js';
import { creditStream, type CreditStream } from './credit-stream.js';
import { shardOf, validateShard, type Shard } from './epoch-order.js';
import { indexOfId, isIdColumn, type IdColumn, type SampleIds } from '../core/ids/id-column.js';
import { listedIds, rankIds, type RankIds } from './rank-ids.js';
import { orderedMap, type Cancellation } from './ordered-map.js';
import { runnerBatcher, type RunnerBatcher } from './runner-batcher.js';
import { cancellable, positiveInteger } from './to-operator.js';
import { idProcessor } from './process-id.js';

/** Options of {@link dataset}. */
export interface DatasetOptions {
  /**
   * The sample ids (unique): a `string[]`, or an {@link IdColumn} such as
   * `idsFromArrowFile('ids.arrow')` for id sets larger than memory. With a column the epoch order
   * is a computed permutation of row indices (`indexPermutation`), shards are strided position
   * sets, and an id is decoded only when its sample is made; its ids are not checked for
   * duplicates, and `get` looks an id up by scanning the column.
   */
  readonly ids: SampleIds;
  /** Builds the initial sample of an id (may read a file). Default `createSample(id)`. */
  readonly source?: (id: string) => Sample | Promise<Sample>;
  /** Deterministic ops whose output may be cached (only `static` ops). Default none. */
  readonly staticPipeline?: Pipeline | readonly Op<object>[];
  /**
   * Ops run on every pass, after the static ones. Their op indices continue after the static
   * pipeline's (its `opIndexBase` is set to the static op count). Default none.
   */
  readonly dynamicPipeline?: Pipeline | readonly Op<object>[];
  /** Where static outputs are cached; without it the static pipeline runs in-thread each time. */
  readonly store?: StaticStore;
  /**
   * Runs the dynamic pipeline off-thread; without it the dynamic pipeline runs in-thread. Build
   * it from the same ops with `opIndexBase` = the static op count (e.g. from
   * `pipelineSpec(dataset(...).dynamicPipeline)`), or its draws differ from the in-thread ones.
   * The dataset does not close it. A worker runner may move (detach) the typed arrays of the samples
   * it is given: a `source` used with a runner and no static store should return fresh arrays
   * (or frozen, read-only objects, which the worker runner copies).
   */
  readonly runner?: DynamicRunner;
}

/** Where a stream stands: enough to restart it exactly, mid-epoch. */
export interface ResumeState {
  readonly epoch: number;
  readonly seed: number;
  /**
   * How many of this rank's ids (in the epoch order) were fully delivered: all outputs received,
   * or dropped. An id whose outputs were only partly received when the stream stopped is
   * replayed whole on resume.
   */
  readonly position: number;
}

/** Options of {@link Dataset.stream}. */
export interface StreamOptions {
  /** Default 0 (or the resume state's). */
  readonly epoch?: number;
  /** Run seed: the epoch order and every random op derive from it. Default 0 (or the resume state's). */
  readonly seed?: number;
  /** Seeded permutation of the ids each epoch. Default true. */
  readonly shuffle?: boolean;
  /** This rank's share of the epoch. Default `{ rank: 0, worldSize: 1 }`. */
  readonly shard?: Shard;
  /** Shard in blocks of this many consecutive positions (e.g. whole batches of an explicit order). Default 1. */
  readonly shardBlock?: number;
  /** Most ids in flight (taken and not yet fully received). Default 16. */
  readonly window?: number;
  /**
   * Most ids inside asynchronous stages at once (source, store, runner, async ops). Default
   * `window` with a runner (so the worker pool has work for all its threads), else `min(4, window)`.
   */
  readonly concurrency?: number;
  /**
   * With a runner: most samples per `runner.run` call. Ids whose static outputs are ready in the
   * same turn of the event loop go to the runner together, so it can fill several samples per
   * worker task. Default `concurrency`.
   */
  readonly runnerBatch?: number;
  /** Restart where a previous stream stopped (its `state()`); `epoch`/`seed` must agree if given. */
  readonly resume?: ResumeState;
  /**
   * An explicit epoch order to use instead of the seeded permutation; sharding still applies to
   * it. Ids may repeat (e.g. a balanced batch sampler's oversampling): the k-th repeat of an id
   * (k ≥ 1) runs the dynamic pipeline with a seed derived from `(seed, k)`, so each repeat gets
   * its own augmentation (the first occurrence matches `get(id, { seed, epoch })`). Only with
   * `string[]` ids (an order over an id column would list every id in memory).
   */
  readonly order?: readonly string[];
}

/** A dataset stream: an AsyncIterable of samples with credit counters and a resume state. */
export interface DatasetStream extends CreditStream<Sample> {
  /** Ids this rank streams this epoch (from position 0). */
  readonly length: number;
  /** The state to pass as `resume` to continue exactly after what the consumer has received. */
  state(): ResumeState;
}

/** A built dataset. */
export interface Dataset {
  /** The ids as given: a copy of a `string[]`, or the {@link IdColumn} itself. */
  readonly ids: SampleIds;
  readonly staticPipeline: Pipeline;
  readonly dynamicPipeline: Pipeline;
  /** Streams the epoch (see {@link StreamOptions}). */
  stream(options?: StreamOptions): DatasetStream;
  /** The same stream as an Observable (pulls one sample at a time; see `asObservable`). */
  observe(options?: StreamOptions): Observable<Sample>;
  /** Every output of one id (empty when dropped, several when split). */
  getAll(id: string, run?: Partial<RunKey>): Promise<Sample[]>;
  /**
   * The sample of one id.
   * @throws {FuseflowError} naming the id when it is unknown, dropped or split into several.
   */
  get(id: string, run?: Partial<RunKey>): Promise<Sample>;
}

function asPipeline(p: Pipeline | readonly Op<object>[] | undefined, name: string, opIndexBase: number): Pipeline {
  if (p === undefined) return pipeline([], { name, opIndexBase });
  if (Array.isArray(p)) return pipeline(p as readonly Op<object>[], { name, opIndexBase });
  const given = p as Pipeline;
  return given.opIndexBase === opIndexBase ? given : pipeline(given.ops, { name: given.name, opIndexBase });
}

/**
 * Builds a dataset.
 *
 * Per id: `source(id)` → static pipeline (through `store.getOrCompute` when a store is given;
 * run with seed 0, epoch 0 since it must be deterministic) → dynamic pipeline (through
 * `runner.run` when given, grouping the ids that are ready together into one call) with the
 * stream's `(seed, epoch)`. Synchronous sources and ops stay synchronous end to end.
 * @example
 * const ds = dataset({ ids: ['a', 'b'], dynamicPipeline: [randFlip({ key: 'data.img' })] });
 * for await (const s of ds.stream({ epoch: 0, seed: 42, window: 8 })) train(s);
 * @throws {OptionsError} for duplicate ids (in a `string[]`) or a random op in the static pipeline.
 */
export function dataset(options: DatasetOptions): Dataset {
  const given = options.ids;
  const ids: SampleIds = isIdColumn(given) ? given : [...given];
  const column: IdColumn | undefined = isIdColumn(ids) ? ids : undefined;
  const list: readonly string[] | undefined = isIdColumn(ids) ? undefined : ids;
  const known = list === undefined ? undefined : new Set(list);
  if (list !== undefined && known !== undefined && known.size !== list.length) {
    const seen = new Set<string>();
    const dup = list.find((id) => (seen.has(id) ? true : (seen.add(id), false)));
    throw new OptionsError(`dataset: sample id '${String(dup)}' appears twice in ids`);
  }
  const isKnown = (id: string): boolean => (column !== undefined ? indexOfId(column, id) >= 0 : known?.has(id) === true);
  const staticP = asPipeline(options.staticPipeline, 'static', 0);
  const randomOp = staticP.ops.find((op) => op.kind === 'random');
  if (randomOp !== undefined) {
    throw new OptionsError(`dataset: op '${randomOp.name}' is random; random ops belong in the dynamic pipeline (the static output is cached)`);
  }
  const dynamicP = asPipeline(options.dynamicPipeline, 'dynamic', staticP.ops.length);
  if (dynamicP.name === staticP.name && dynamicP.ops.length > 0 && staticP.ops.length > 0) {
    throw new OptionsError(`dataset: the static and dynamic pipelines are both named '${staticP.name}'; op ids would clash`);
  }
  const source = options.source ?? ((id: string) => createSample(id));
  const { store, runner } = options;

  const processId = idProcessor({ source, store, runner });

  const getAll = async (id: string, run: Partial<RunKey> = {}): Promise<Sample[]> => {
    if (!isKnown(id)) throw new FuseflowError(`dataset: unknown sample id '${id}' (the dataset has ${ids.length} ids${column === undefined ? '' : ` in ${column.label}`})`);
    return processId(id, { seed: run.seed ?? 0, epoch: run.epoch ?? 0 }, staticP, dynamicP, undefined, undefined);
  };

  const stream = (opts: StreamOptions = {}): DatasetStream => {
    const { resume } = opts;
    if (resume !== undefined) {
      if (opts.epoch !== undefined && opts.epoch !== resume.epoch) throw new OptionsError(`stream: epoch ${opts.epoch} disagrees with the resume state's ${resume.epoch}`);
      if (opts.seed !== undefined && opts.seed !== resume.seed) throw new OptionsError(`stream: seed ${opts.seed} disagrees with the resume state's ${resume.seed}`);
    }
    const epoch = resume?.epoch ?? opts.epoch ?? 0;
    const seed = resume?.seed ?? opts.seed ?? 0;
    if (!Number.isInteger(epoch) || epoch < 0) throw new OptionsError(`stream: epoch must be a non-negative integer, got ${String(epoch)}`);
    if (!Number.isFinite(seed)) throw new OptionsError(`stream: seed must be a finite number, got ${String(seed)}`);
    const shard = opts.shard ?? { rank: 0, worldSize: 1 };
    validateShard(shard);
    const window = positiveInteger('stream: window', opts.window, 16);
    const concurrency = positiveInteger('stream: concurrency', opts.concurrency, runner === undefined ? Math.min(4, window) : window);
    const runnerBatch = positiveInteger('stream: runnerBatch', opts.runnerBatch, concurrency);
    if (opts.order !== undefined) {
      if (known === undefined) throw new OptionsError(`stream: an explicit order needs the ids as a string[]; this dataset reads them from ${column?.label ?? 'a column'}`);
      const unknown = opts.order.find((id) => !known.has(id));
      if (unknown !== undefined) throw new OptionsError(`stream: order holds unknown sample id '${unknown}'`);
    }
    const shardBlock = positiveInteger('stream: shardBlock', opts.shardBlock, 1);
    const order = opts.order === undefined ? undefined : [...opts.order];
    const mine: RankIds =
      order === undefined ? rankIds(ids, { epoch, seed, shuffle: opts.shuffle ?? true, shard, blockSize: shardBlock }) : listedIds(shardOf(order, shard, shardBlock));
    const start = resume?.position ?? 0;
    if (!Number.isInteger(start) || start < 0 || start > mine.length) {
      throw new OptionsError(`stream: resume position ${String(start)} is outside this rank's ${mine.length} ids`);
    }
    const run: RunKey = { seed, epoch };
    // An id repeated within the epoch (an oversampling order) draws fresh randomness for each
    // repeat: the k-th repeat (k ≥ 1) runs with a seed derived from (seed, k).
    const repeats = order === undefined ? undefined : shardOf(occurrences(order), shard, shardBlock);
    const runs = new Map<number, RunKey>([[0, run]]);
    const runFor = (k: number): RunKey => {
      let r = runs.get(k);
      if (r === undefined) runs.set(k, (r = { seed: Rng.fromParts([seed, 'repeat', k]).nextU32(), epoch }));
      return r;
    };
    const stage = (input: Observable<number>): Observable<Sample[]> => {
      let guarded: { cancel: Cancellation; sp: Pipeline; dp: Pipeline; batchers: Map<number, RunnerBatcher> } | undefined;
      return input.pipe(
        orderedMap<number, Sample[]>((position, cancel) => {
          if (guarded?.cancel !== cancel) {
            guarded = { cancel, sp: cancellable(staticP, cancel), dp: cancellable(dynamicP, cancel), batchers: new Map() };
          }
          const k = repeats === undefined ? 0 : (repeats[position] as number);
          const r = k === 0 ? run : runFor(k);
          let batcher: RunnerBatcher | undefined;
          if (runner !== undefined) {
            batcher = guarded.batchers.get(k);
            if (batcher === undefined) guarded.batchers.set(k, (batcher = runnerBatcher(runner, r, runnerBatch, guarded.cancel)));
          }
          return processId(mine.at(position), r, guarded.sp, guarded.dp, cancel, batcher);
        }, concurrency),
      );
    };
    const inner = creditStream(range(start, mine.length), stage, { window });
    return {
      stats: inner.stats,
      window: inner.window,
      length: mine.length,
      state: () => ({ epoch, seed, position: start + inner.stats.completed }),
      [Symbol.asyncIterator]: () => inner[Symbol.asyncIterator](),
    };
  };

  return {
    ids,
    staticPipeline: staticP,
    dynamicPipeline: dynamicP,
    stream,
    observe: (opts) => asObservable(stream(opts)),
    getAll,
    get: async (id, run) => {
      const outs = await getAll(id, run);
      if (outs.length !== 1) {
        throw new FuseflowError(`dataset: sample id '${id}' gave ${outs.length} samples (dropped or split); use getAll`);
      }
      return outs[0] as Sample;
    },
  };
}

/** For each position, how many times its id appeared earlier in `order`. */
function occurrences(order: readonly string[]): number[] {
  const seen = new Map<string, number>();
  return order.map((id) => {
    const k = seen.get(id) ?? 0;
    seen.set(id, k + 1);
    return k;
  });
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
