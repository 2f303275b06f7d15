export { shardOfId, shardIds, shardIdsOf, shardName, checkShards, MAX_SHARDS } from './shard-assign.js';
export { loadDatasetModule, type DatasetDefinition } from './dataset-module.js';
export { fillShard, preparePlan, type ShardFillOptions, type ShardFillReport } from './fill-shard.js';
export { commitShards, type CommitReport } from './commit-shards.js';
export { pullShards, type PullReport } from './pull-shards.js';
export { ShardedEntryStore, MAX_OPEN_SHARDS } from './sharded-store.js';
export { readPlan, isShardedFolder, SHARDED_FILES, type ShardPlan, type ShardRecord, type CommitRecord } from './shard-files.js';
export { deleteShardedCache, type ShardedDeleteReport } from './delete-sharded.js';
