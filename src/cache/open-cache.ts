/**
 * Opening caches: by pipeline (creating `<dir>/<cacheKey>` and its `pipeline.json` when absent) or
 * by folder (from the recorded spec, for the CLI and for readers in other threads or processes).
 */
import { existsSync, lstatSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError, OptionsError } from '../core/errors.js';
import { outputErrorOf, writeFileAtomic } from '../core/safe-fs.js';
import { pipelineSpec, type Pipeline } from '../ops/pipeline.js';
import type { AuditOptions } from './audit.js';
import { descriptionText, readDescriptionFile, type CacheDescription } from './cache-description.js';
import { cacheKey, CACHE_FORMAT_VERSION } from './cache-key.js';
import { MARKER_FILE, writeMarker } from './cache-marker.js';
import { CACHE_FILES } from './cache-files.js';
import { SampleCache } from './sample-cache.js';
import { readPlan } from './sharded/shard-files.js';
import { ShardedEntryStore, requireCommitted } from './sharded/sharded-store.js';

export type { CacheDescription } from './cache-description.js';

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

/**
 * Opens (creating when absent) the cache of `pipeline` under `dir`. A new cache folder gets its
 * marker (`.fuseflow-cache.json`, the list of files the cache makes, which is all that
 * `fuseflow cache delete` removes) and its `pipeline.json`, both written atomically. When
 * `<dir>/<cacheKey>` is a committed sharded cache (e.g. `fuseflow cache pull SHARED --to
 * <dir>/<cacheKey>`), it is read as one cache, read-only (a missing id fails with the fill command).
 * @example
 * const cache = openSampleCache({ dir: '/scratch/cache', pipeline: staticOps, salt: 'v2' });
 * await cache.fill(ids, { threads: 4 });
 * const [sample] = await cache.getOrCompute('case-001');
 * @throws {OptionsError} when `dir` or `pipeline` is missing or an audit rate is bad.
 * @throws {OutputError} naming the folder when it cannot be created or written.
 * @throws {InputError} naming a file of an existing cache folder that is damaged.
 */
export function openSampleCache(options: SampleCacheOptions): SampleCache {
  if (typeof options.dir !== 'string' || options.dir === '') throw new OptionsError('openSampleCache: dir must be a folder path');
  if (options.pipeline === undefined) throw new OptionsError('openSampleCache: pipeline is required');
  const spec = pipelineSpec(options.pipeline);
  const salt = options.salt ?? '';
  const key = cacheKey(spec, salt);
  const folder = join(resolve(options.dir), key);
  try {
    mkdirSync(folder, { recursive: true });
  } catch (err) {
    throw outputErrorOf(folder, err, 'cannot create the cache folder');
  }
  const descPath = join(folder, CACHE_FILES.pipeline);
  if (!existsSync(descPath)) {
    writeOnce(join(folder, MARKER_FILE), () => writeMarker(folder, key));
    const desc: CacheDescription = { format: CACHE_FORMAT_VERSION, key, salt, spec, createdAt: new Date().toISOString() };
    writeOnce(descPath, () => writeFileAtomic(descPath, descriptionText(desc)));
  } else {
    readDescriptionFile(folder); // a damaged description is refused before LMDB opens
  }
  const plan = readPlan(folder);
  if (plan !== undefined) {
    // A sharded cache (pulled or shared) under this key: read it as one, read-only.
    return new SampleCache({ folder, key, spec, pipeline: options.pipeline, audit: options.audit ?? {}, readOnly: true, store: new ShardedEntryStore(folder, plan) });
  }
  return new SampleCache({ folder, key, spec, pipeline: options.pipeline, audit: options.audit ?? {}, readOnly: false });
}

/** Runs a no-overwrite write, accepting that another process filling the same cache wrote the file first. */
function writeOnce(file: string, write: () => void): void {
  try {
    write();
  } catch (err) {
    if (!existsSync(file)) throw err;
  }
}

/** Options of {@link openCacheFolder}. */
export interface OpenCacheFolderOptions {
  /** When to audit reads; default `false`. */
  readonly audit?: AuditOptions | false;
  /** Open LMDB read-only. Default `true`. */
  readonly readOnly?: boolean;
  /**
   * Modules (paths or URLs) that define the pipeline's user ops, imported only when something
   * recomputes. The `module` paths recorded in `pipeline.json` are never imported: a folder must not
   * decide what code runs. Default none (built-in ops and ops already registered only).
   */
  readonly opsModules?: readonly string[];
}

/**
 * Opens an existing cache folder (`<dir>/<cacheKey>`) from its recorded pipeline spec (for
 * `fuseflow cache` and for readers in other threads or processes). Ops are built only when
 * something needs to recompute (an audit, `verify({ recompute: true })`), so plain readers stay light.
 * A committed sharded cache (`fuseflow cache fill --shards`, then `cache commit`, or its `cache pull`
 * copy) opens the same way and reads exactly as one cache (read-only: its shards are routed by id).
 * @example const cache = await openCacheFolder('/scratch/cache/3f9c…', { opsModules: ['./my-ops.js'] });
 * @throws {InputError} naming the file: no cache folder, a damaged `pipeline.json`, a `cache.mdb`
 *   that is not a sound LMDB file.
 */
export function openCacheFolder(folder: string, options: OpenCacheFolderOptions = {}): Promise<SampleCache> {
  // Synchronous work; an error thrown in the executor rejects the promise.
  return new Promise((done) => {
    const desc = readDescription(folder);
    const plan = readPlan(folder);
    done(
      new SampleCache({
        folder: resolve(folder),
        ...(plan === undefined ? {} : { store: new ShardedEntryStore(resolve(folder), plan) }),
        key: desc.key,
        spec: desc.spec,
        audit: options.audit ?? false,
        readOnly: options.readOnly ?? true,
        ...(options.opsModules === undefined ? {} : { opsModules: options.opsModules }),
      }),
    );
  });
}

/**
 * Reads and checks `pipeline.json` of a cache folder (which must also hold `cache.mdb`, or be a
 * committed sharded cache: `sharded.json` and `committed.json`).
 * @throws {InputError} naming the file that is missing or damaged.
 */
export function readDescription(folder: string): CacheDescription {
  const desc = readDescriptionFile(folder);
  const plan = readPlan(folder);
  if (plan !== undefined) {
    if (plan.key !== desc.key)
      throw new InputError(`the sharded cache plan names key ${plan.key.slice(0, 12)}…, pipeline.json ${desc.key.slice(0, 12)}… (damaged)`, { file: folder });
    requireCommitted(folder, plan);
    return desc;
  }
  const store = join(folder, CACHE_FILES.store);
  let isFile = false;
  try {
    isFile = lstatSync(store).isFile();
  } catch {
    // reported below
  }
  if (!isFile) throw new InputError('missing or not a regular file: not a fuseflow cache folder', { file: store });
  return desc;
}
