export { encodePayload, decodePayload } from './payload-codec.js';
export { cacheKey, CACHE_FORMAT_VERSION } from './cache-key.js';
export { type CacheEntry, type OutputSummary } from './cache-entry.js';
export { buildManifest, writeManifest, readManifest, MANIFEST_COLUMNS } from './manifest.js';
export { type AuditOptions, AuditSchedule, StaleCacheError } from './audit.js';
export { runTraced, type TracedRun } from './traced-run.js';
export { fillCache, type FillOptions, type FillReport } from './fill-cache.js';
export { openSampleCache, openCacheFolder, readDescription, type SampleCacheOptions, type OpenCacheFolderOptions, type CacheDescription } from './open-cache.js';
export { deleteCacheFolder, type DeleteReport } from './delete-cache.js';
export { MARKER_FILE, CACHE_MADE_FILES, readMarker, type CacheMarker } from './cache-marker.js';
export { checkLmdbFile } from './lmdb-check.js';
export { type FileIdentity } from './input-files.js';
export { SampleCache, payloadKeyOf, type CacheStatus, type VerifyProblem, type VerifyOptions } from './sample-cache.js';
export { CACHE_FILES } from './cache-files.js';
export { STATIC_RUN } from './static-run.js';
export {
  fillShard,
  commitShards,
  pullShards,
  commitSharded,
  pullSharded,
  loadDatasetModule,
  shardOfId,
  shardIds,
  shardIdsOf,
  readPlan,
  type ShardFillOptions,
  type ShardFillReport,
  type CommitReport,
  type PullReport,
  type DatasetDefinition,
  type ShardPlan,
} from './sharded/index.js';
