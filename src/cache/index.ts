export { encodePayload, decodePayload } from './payload-codec.js';
export { cacheKey, CACHE_FORMAT_VERSION } from './cache-key.js';
export { type CacheEntry, type OutputSummary } from './cache-entry.js';
export { buildManifest, writeManifest, readManifest, MANIFEST_COLUMNS } from './manifest.js';
export { type AuditOptions, AuditSchedule, StaleCacheError } from './audit.js';
export { runTraced, type TracedRun } from './traced-run.js';
export { fillCache, type FillOptions, type FillReport } from './fill-cache.js';
export { openSampleCache, openCacheFolder, readDescription, type SampleCacheOptions, type CacheDescription } from './open-cache.js';
export { SampleCache, CACHE_FILES, STATIC_RUN, payloadKeyOf, type CacheStatus, type VerifyProblem } from './sample-cache.js';
