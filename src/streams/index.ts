/**
 * fuseflow streams: samples flow through RxJS operators, consumers pull through an AsyncIterable
 * and demand travels upstream as credits (at most `window` ids in flight).
 *
 * The path a trainer uses:
 * @example
 * const ds = dataset({ ids, source: readRow, staticPipeline: staticOps, dynamicPipeline: augment, store: cache, runner: pool });
 * const stream = ds.stream({ epoch, seed, shuffle: true, shard: { rank, worldSize }, window: 64 });
 * for await (const b of batch({ size: 32, dropLast: true })(stream)) {
 *   await trainStep(b); // b: one collated batch sample ({ data: { sampleId: string[], img: Tensor[32, ...] } })
 * }
 * const resumeState = stream.state(); // { epoch, seed, position } → ds.stream({ resume: resumeState })
 */
export { type StaticStore, type DynamicRunner } from '../workers/contracts.js';
export { type Cancellation, orderedMap } from './ordered-map.js';
export { type ToOperatorOptions, CancelledError, toOperator, toGroupedOperator } from './to-operator.js';
export { type CreditStreamOptions, type CreditStats, type CreditStream, creditStream } from './credit-stream.js';
export { asObservable } from './as-observable.js';
export { type EpochOrderOptions, type Shard, epochOrder, shardOf, validateShard } from './epoch-order.js';
export { type IdColumn, type SampleIds, idsFromArrowVector, isIdColumn, scanIds } from '../core/ids/id-column.js';
export { type ArrowFileIds, type IdsFromArrowFileOptions, idsFromArrowFile } from '../core/ids/arrow-file-ids.js';
export { type IndexPermutation, type IndexPermutationOptions, indexPermutation } from './index-permutation.js';
export { type RankIds, type RankIdsOptions, type ShardPositions, rankIds, shardPositions } from './rank-ids.js';
export { type DatasetOptions, type StreamOptions, type ResumeState, type DatasetStream, type Dataset, dataset } from './dataset.js';
export { type ClassLabel, type BalancedBatchSamplerOptions, type BalancedBatchSampler, balancedBatchSampler } from './balanced-batch-sampler.js';
export { type PadToSameSizeOptions, padToSameSize } from './pad-to-same-size.js';
export { type CollateOptions, type CollatePadOptions, collate } from './collate.js';
export { type UncollateOptions, uncollate } from './uncollate.js';
export { type BatchOptions, batch } from './batch.js';
export { type BalancedBatchesOptions, balancedBatches } from './balanced-batches.js';
export { type SplitFoldsOptions, splitFolds } from './split-folds.js';
export { createWorkerRunner, DEFAULT_TASK_TIMEOUT_MS, WorkerCrashError, type WorkerRunner, type WorkerRunnerOptions, type WorkerRunnerStats } from '../workers/worker-runner.js';
export { forTransfer } from '../workers/transfer-list.js';
export { createBatchRunner, type BatchRunner, type BatchRunnerOptions, type BatchRunnerStats, type BatchRequest, type BatchOutcome, type BatchTaskItem } from './batch-runner.js';
export { batchedDataset, type BatchedDataset, type BatchedDatasetOptions, type BatchesOptions, type BatchStream } from './batched-dataset.js';
