/**
 * Opening caches: by pipeline (creating `<dir>/<cacheKey>` and its `pipeline.json` when absent) or
 * by folder (from the recorded spec, for the CLI and for readers in other threads or processes).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FuseflowError, OptionsError } from '../core/errors.js';
import { pipelineSpec, type Pipeline, type PipelineSpec } from '../ops/pipeline.js';
import type { AuditOptions } from './audit.js';
import { cacheKey, CACHE_FORMAT_VERSION } from './cache-key.js';
import { CACHE_FILES, SampleCache } from './sample-cache.js';

/** Options of {@link openSampleCache}. */
export interface SampleCacheOptions {
  /** Root folder; the cache lives in `<dir>/<cacheKey>`. Required. */
  readonly dir: string;
  /** The static pipeline whose outputs are cached. Required. */
  readonly pipeline: Pipeline;
  /** Mixed into the cache key (e.g. a data release or the input files' version). Default `''`. */
  readonly salt?: string;
  /** When to recompute a sample and compare (see {@link AuditOptions}); `false` turns audits off. Default `{ firstSample: true, everyMinutes: 30 }`. */
  readonly audit?: AuditOptions | false;
}

/** What `pipeline.json` records. */
export interface CacheDescription {
  readonly format: number;
  readonly key: string;
  readonly salt: string;
  readonly spec: PipelineSpec;
  readonly createdAt: string;
}

/**
 * Opens (creating when absent) the cache of `pipeline` under `dir`.
 * @example
 * const cache = openSampleCache({ dir: '/scratch/cache', pipeline: staticOps, salt: 'v2' });
 * await cache.fill(ids, { threads: 4 });
 * const [sample] = await cache.getOrCompute('case-001');
 * @throws {OptionsError} when `dir` or `pipeline` is missing or an audit rate is bad.
 */
export function openSampleCache(options: SampleCacheOptions): SampleCache {
  if (typeof options.dir !== 'string' || options.dir === '') throw new OptionsError('openSampleCache: dir must be a folder path');
  if (options.pipeline === undefined) throw new OptionsError('openSampleCache: pipeline is required');
  const spec = pipelineSpec(options.pipeline);
  const salt = options.salt ?? '';
  const key = cacheKey(spec, salt);
  const folder = join(resolve(options.dir), key);
  mkdirSync(folder, { recursive: true });
  const descPath = join(folder, CACHE_FILES.pipeline);
  if (!existsSync(descPath)) {
    const desc: CacheDescription = { format: CACHE_FORMAT_VERSION, key, salt, spec, createdAt: new Date().toISOString() };
    const tmp = `${descPath}.tmp-${process.pid}`;
    writeFileSync(tmp, `${JSON.stringify(desc, null, 2)}\n`);
    renameSync(tmp, descPath);
  }
  return new SampleCache(folder, key, spec, options.pipeline, options.audit ?? {}, false);
}

/**
 * Opens an existing cache folder (`<dir>/<cacheKey>`) from its recorded pipeline spec (for
 * `fuseflow cache` and for readers in other threads or processes). The ops are imported only when
 * something needs to recompute (an audit, `verify({ recompute: true })`), so plain readers stay light.
 * @throws {FuseflowError} when the folder is not a fuseflow cache.
 */
export async function openCacheFolder(folder: string, options: { readonly audit?: AuditOptions | false; readonly readOnly?: boolean } = {}): Promise<SampleCache> {
  const desc = readDescription(folder);
  return new SampleCache(resolve(folder), desc.key, desc.spec, undefined, options.audit ?? false, options.readOnly ?? true);
}

/** Reads `pipeline.json` of a cache folder. */
export function readDescription(folder: string): CacheDescription {
  const path = join(folder, CACHE_FILES.pipeline);
  if (!existsSync(path) || !existsSync(join(folder, CACHE_FILES.store))) throw new FuseflowError(`${folder} is not a fuseflow cache folder (no ${CACHE_FILES.pipeline} / ${CACHE_FILES.store})`);
  return JSON.parse(readFileSync(path, 'utf8')) as CacheDescription;
}

