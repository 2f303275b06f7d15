/**
 * A build's static stage through the LMDB sample cache: the cache is keyed on the static pipeline
 * and salted with the bytes of the files the builder read (`build.files`: labels and clinical
 * values enter the samples, so an edited CSV or JSON makes a new cache, not stale samples).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { openSampleCache } from '../../cache/open-cache.js';
import type { SampleCache } from '../../cache/sample-cache.js';
import type { Sample } from '../../core/sample.js';
import { closeIoPool } from '../../ops/image/io/io-pool.js';
import { pipeline, type Pipeline } from '../../ops/pipeline.js';
import { dataset } from '../../streams/dataset.js';
import type { DatasetBuild } from './dataset-build.js';

/** Options of {@link openBuildCache} and {@link readBuildSamples}. */
export interface BuildCacheOptions {
  /** Cache folder (made when absent). Required. */
  readonly dir: string;
  /** Name of the static pipeline (its op ids, part of the cache key), e.g. `'knight-static'`. Required. */
  readonly name: string;
}

/** The static pipeline of a build and its cache. */
export interface BuildCache {
  readonly staticPipeline: Pipeline;
  readonly cache: SampleCache;
}

/**
 * Opens the sample cache of a build's static pipeline, salted with the SHA-256 of `build.files`.
 * Close it (`cache.close()`) when done.
 * @example const { cache, staticPipeline } = openBuildCache(k, { dir: 'runs/cache', name: 'knight-static' });
 * @throws what `openSampleCache` throws; {@link InputError}-like Node errors for an unreadable build file.
 */
export function openBuildCache(build: DatasetBuild, options: BuildCacheOptions): BuildCache {
  const staticPipeline = pipeline(build.staticPipeline, { name: options.name });
  const salt = createHash('sha256');
  for (const f of build.files) salt.update(readFileSync(f));
  const cache = openSampleCache({ dir: options.dir, pipeline: staticPipeline, salt: salt.digest('hex'), audit: false });
  return { staticPipeline, cache };
}

/**
 * Reads the static samples of `ids` (default every id of the build) through the build's cache,
 * computing and storing the missing ones, and closes the cache and the image-reading pool.
 * Holds every sample in memory: for replicas and small sets; stream larger ones with
 * `dataset({ ids, staticPipeline, store: cache })` over {@link openBuildCache}.
 * @example const { samples, cacheHit } = await readBuildSamples(k, { dir: 'runs/cache', name: 'knight-static' });
 * @returns the samples by id, and whether every one was in the cache before.
 */
export async function readBuildSamples(
  build: DatasetBuild,
  options: BuildCacheOptions & { readonly ids?: readonly string[] },
): Promise<{ samples: Map<string, Sample>; cacheHit: boolean }> {
  const ids = options.ids ?? build.ids;
  const { cache, staticPipeline } = openBuildCache(build, options);
  const cacheHit = ids.every((id) => cache.has(id));
  const samples = new Map<string, Sample>();
  try {
    const cached = dataset({ ids, staticPipeline, store: cache });
    for (const id of ids) samples.set(id, await cached.get(id));
  } finally {
    await closeIoPool();
    await cache.close();
  }
  return { samples, cacheHit };
}
