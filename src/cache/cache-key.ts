/**
 * The cache key: a fingerprint of what determines the static pipeline's output — each op's
 * name, version, options and id, in order — plus a user salt (e.g. a data-set release). Key
 * order inside options does not matter; module paths do not count (they differ per machine).
 */
import { fingerprint } from '../core/fingerprint.js';
import type { PipelineSpec } from '../ops/pipeline.js';

/**
 * Bumped when the stored format changes, so old caches are never misread (2: JSON entry records
 * with checksums and input-file identities, marker file; 3: the entry checksum covers each
 * payload's lane digest instead of its CRC-32).
 */
export const CACHE_FORMAT_VERSION = 3;

/**
 * Hex key of a static pipeline's cache.
 * @example const key = cacheKey(pipelineSpec(staticPipeline), 'release-2');
 */
export function cacheKey(spec: PipelineSpec, salt = ''): string {
  return fingerprint({
    format: CACHE_FORMAT_VERSION,
    salt,
    opIndexBase: spec.opIndexBase,
    ops: spec.ops.map((op, i) => ({ name: op.name, version: op.version, options: op.options, id: op.id ?? `${spec.name}.${i}.${op.name}` })),
  });
}
