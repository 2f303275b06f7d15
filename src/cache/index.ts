export { encodePayload, decodePayload } from './payload-codec.js';
export { cacheKey, CACHE_FORMAT_VERSION } from './cache-key.js';
export { type CacheEntry, type OutputSummary } from './cache-entry.js';
export { buildManifest, writeManifest, readManifest, MANIFEST_COLUMNS } from './manifest.js';
export { type AuditOptions, AuditSchedule, StaleCacheError } from './audit.js';
export { runTraced, type TracedRun } from './traced-run.js';
export {
  openSampleCache,
  openCacheFolder,
  readDescription,
  SampleCache,
  CACHE_FILES,
  type SampleCacheOptions,
  type FillOptions,
  type FillReport,
  type CacheStatus,
  type VerifyProblem,
} from './sample-cache.js';
