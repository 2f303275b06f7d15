/**
 * Class-balanced batches from a dataset: the sampler decides which ids form each batch, the
 * dataset streams them in that order under its credit window, and {@link batch} collates them.
 */
import type { Sample } from '../core/sample.js';
import type { BalancedBatchSampler } from './balanced-batch-sampler.js';
import { batch } from './batch.js';
import type { CollateOptions } from './collate.js';
import type { Dataset } from './dataset.js';
import type { Shard } from './epoch-order.js';

/** Options of {@link balancedBatches}. */
export interface BalancedBatchesOptions {
  /** The sampler (built over the dataset's ids and labels). */
  readonly sampler: BalancedBatchSampler;
  /** Default 0. */
  readonly epoch?: number;
  /** Run seed of the dynamic ops (the sampler has its own). Default 0. */
  readonly seed?: number;
  /** Whole batches are sharded: rank r gets batches r, r + worldSize, …. Default `{ rank: 0, worldSize: 1 }`. */
  readonly shard?: Shard;
  /** Samples in flight upstream of the batching. Default `2 * batchSize`. */
  readonly window?: number;
  /** Most ids in asynchronous stages at once. Default as `dataset().stream()`. */
  readonly concurrency?: number;
  /** How batches are collated. Default `{}`. */
  readonly collate?: CollateOptions;
}

/**
 * Streams the epoch's class-balanced batches as collated batch samples.
 *
 * Keys: as the dataset's pipelines. Random: the batch composition is seeded by the sampler's
 * seed and the epoch; augmentations by `(seed, epoch, sampleId, opIndex)`, and an id drawn again
 * in the same epoch (oversampling) gets a fresh draw for each repeat (see `StreamOptions.order`).
 * The dynamic pipeline should be one→one: a dropped or split sample shifts the batch boundaries.
 * @example
 * const sampler = balancedBatchSampler({ ids, labels, batchSize: 32 });
 * for await (const b of balancedBatches(ds, { sampler, epoch: 0, seed: 1 })) await step(b);
 * @throws {OptionsError} for a bad shard or window.
 */
export function balancedBatches(ds: Dataset, options: BalancedBatchesOptions): AsyncIterable<Sample> {
  const { sampler } = options;
  const epoch = options.epoch ?? 0;
  const order = sampler.batches(epoch).flat();
  const stream = ds.stream({
    epoch,
    seed: options.seed ?? 0,
    order,
    shard: options.shard ?? { rank: 0, worldSize: 1 },
    shardBlock: sampler.batchSize,
    window: options.window ?? 2 * sampler.batchSize,
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
  });
  return batch({ size: sampler.batchSize, collate: options.collate ?? {} })(stream);
}
