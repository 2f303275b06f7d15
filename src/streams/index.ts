export { type StaticStore, type DynamicRunner } from './contracts.js';
export { type Cancellation, orderedMap } from './ordered-map.js';
export { type ToOperatorOptions, CancelledError, toOperator, toGroupedOperator } from './to-operator.js';
export { type CreditStreamOptions, type CreditStats, type CreditStream, creditStream } from './credit-stream.js';
export { asObservable } from './as-observable.js';
export { type EpochOrderOptions, type Shard, epochOrder, shardOf, validateShard } from './epoch-order.js';
export { type DatasetOptions, type StreamOptions, type ResumeState, type DatasetStream, type Dataset, dataset } from './dataset.js';
export {
  type ClassLabel,
  type BalancedBatchSamplerOptions,
  type BalancedBatchSampler,
  balancedBatchSampler,
} from './balanced-batch-sampler.js';
export { type PadToSameSizeOptions, padToSameSize } from './pad-to-same-size.js';
export { type CollateOptions, type CollatePadOptions, collate } from './collate.js';
export { type UncollateOptions, uncollate } from './uncollate.js';
export { type BatchOptions, batch } from './batch.js';
export { type BalancedBatchesOptions, balancedBatches } from './balanced-batches.js';
export { type SplitFoldsOptions, splitFolds } from './split-folds.js';
