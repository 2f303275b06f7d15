/**
 * Filling one shard of a sharded cache: shard i's ids (a pure function of each id and the shard
 * count, see shard-assign.ts) are filled into an LMDB environment of their own on local disk
 * (LMDB must not live on NFS/Lustre), which a killed fill resumes, then published to the shared
 * location by copy → fsync → rename (publish-shard.ts). A shard already published is left alone.
 */
import { existsSync, mkdirSync, readdirSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InputError } from '../../core/errors.js';
import { launchRank } from '../../core/launch-rank.js';
import { outputErrorOf, writeFileAtomic } from '../../core/safe-fs.js';
import { pipelineSpec } from '../../ops/pipeline.js';
import { descriptionText, readDescriptionFile } from '../cache-description.js';
import { cacheKey, CACHE_FORMAT_VERSION } from '../cache-key.js';
import { MARKER_FILE } from '../cache-marker.js';
import { CACHE_FILES } from '../cache-files.js';
import { deleteCacheFolder } from '../delete-cache.js';
import type { FillOptions, FillReport } from '../fill-cache.js';
import { openSampleCache } from '../open-cache.js';
import type { DatasetDefinition } from './dataset-module.js';
import { publishShard } from './publish-shard.js';
import { checkShards, shardIdsOf, shardName } from './shard-assign.js';
import { markerText, planText, readPlan, readShardRecord, shardFilesProblem, shardFolder, SHARDED_FILES, TOP_FILES, type ShardPlan } from './shard-files.js';

/** Options of {@link fillShard}. */
export interface ShardFillOptions {
  /** The dataset (see loadDatasetModule). Required. */
  readonly dataset: DatasetDefinition;
  /** Number of shards. Required. */
  readonly shards: number;
  /** This shard's index; default from the launcher's environment (launchRank: Slurm, Kubernetes, RANK). */
  readonly index?: number;
  /** The shared folder of the sharded cache. Required. */
  readonly to: string;
  /**
   * Local scratch folder (not NFS/Lustre): the shard's LMDB environment is built in
   * `<local>/<key prefix>-<shard>/`, resumed from there after a kill, and removed once published.
   * Default `<os tmpdir>/fuseflow-shards`.
   */
  readonly local?: string;
  /** Worker threads of the fill (see FillOptions). Default `availableParallelism()`. */
  readonly threads?: number;
  /** Environment read for the rank when `index` is absent. Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Called while the dataset's ids are read to pick this shard's (every 65,536 ids and at the end). */
  readonly onScan?: (rows: number, total: number) => void;
  /** Called after each committed initial id. */
  readonly onProgress?: FillOptions['onProgress'];
}

/** What {@link fillShard} did. */
export interface ShardFillReport {
  readonly index: number;
  readonly shards: number;
  /** Where the index came from (e.g. `SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT`, `--index/--shards`). */
  readonly rankSource: string;
  /** The published shard folder. */
  readonly folder: string;
  /** Initial ids of this shard. */
  readonly ids: number;
  /** `published`: this call published it; `already-published`: it was there and complete (nothing done). */
  readonly outcome: 'published' | 'already-published';
  /** The local fill (absent when already published or the shard has no ids). */
  readonly fill?: FillReport;
}

/** Writes `text` to `file` unless it exists (another filler may write it first). */
function writeOnce(file: string, text: string): void {
  if (existsSync(file)) return;
  try {
    writeFileAtomic(file, text);
  } catch (err) {
    if (!existsSync(file)) throw err;
  }
}

/**
 * Creates (or checks) the top level of the sharded cache at `to`: description, plan and marker.
 * @throws {InputError} naming the file when `to` holds another pipeline's cache or another shard count.
 */
export function preparePlan(to: string, dataset: DatasetDefinition, shards: number): ShardPlan {
  const spec = pipelineSpec(dataset.staticPipeline);
  const key = cacheKey(spec, dataset.salt);
  try {
    mkdirSync(to, { recursive: true });
  } catch (err) {
    throw outputErrorOf(to, err, 'cannot create the shared cache folder');
  }
  const descFile = join(to, CACHE_FILES.pipeline);
  writeOnce(descFile, descriptionText({ format: CACHE_FORMAT_VERSION, key, salt: dataset.salt, spec, createdAt: new Date().toISOString() }));
  const desc = readDescriptionFile(to);
  if (desc.key !== key) {
    throw new InputError(`holds the cache of another static pipeline or salt (key ${desc.key.slice(0, 12)}…, this dataset's is ${key.slice(0, 12)}…); fill into another folder`, {
      file: descFile,
    });
  }
  writeOnce(join(to, SHARDED_FILES.plan), planText(key, shards));
  writeOnce(join(to, MARKER_FILE), markerText(key, TOP_FILES));
  const plan = readPlan(to);
  if (plan === undefined || plan.key !== key) throw new InputError('the plan does not match pipeline.json (damaged)', { file: join(to, SHARDED_FILES.plan) });
  if (plan.shards !== shards) {
    throw new InputError(`this sharded cache was planned with ${plan.shards} shards, this fill says --shards ${shards}; use the same count, or another folder`, {
      file: join(to, SHARDED_FILES.plan),
    });
  }
  return plan;
}

/**
 * Fills shard `index` (or the launcher's rank) of the dataset's cache and publishes it to `to`.
 * Idempotent: a shard published and complete is not touched (`outcome: 'already-published'`).
 * Resumable: a killed fill keeps what its local environment committed; rerun on the same node with
 * the same `local` folder (the working folder is named by cache and shard) and only the rest is computed.
 * @example const r = await fillShard({ dataset: await loadDatasetModule('ds.ts'), shards: 64, to: '/shared/cache' });
 * @throws {InputError} for a missing or inconsistent launcher rank, a shared folder of another
 *   cache or shard count, a published shard that is damaged, or a local folder holding other ids.
 * @throws {OpError} when a sample fails (what was committed stays in the local environment).
 * @throws {OutputError} naming what cannot be written.
 */
export async function fillShard(options: ShardFillOptions): Promise<ShardFillReport> {
  checkShards(options.shards, options.index);
  const rank = launchRank({ ...(options.index === undefined ? {} : { index: options.index }), count: options.shards, ...(options.env === undefined ? {} : { env: options.env }) });
  const { rank: index, worldSize: shards } = rank;
  const to = resolve(options.to);
  const plan = preparePlan(to, options.dataset, shards);
  const folder = shardFolder(to, index, shards);
  const base = { index, shards, rankSource: rank.source, folder };
  const mine = shardIdsOf(options.dataset.ids, index, shards, options.dataset.file, options.onScan);
  const published = readShardRecord(folder, { key: plan.key, index, shards });
  if (published !== undefined) {
    const problem = shardFilesProblem(folder, published, false);
    if (problem !== undefined)
      throw new InputError(`shard ${shardName(index, shards)} is published but damaged (${problem}); remove its folder by hand and fill it again`, { file: folder });
    if (published.entries !== mine.length) {
      throw new InputError(
        `shard ${shardName(index, shards)} is published with ${published.entries} ids, this dataset gives it ${mine.length}: the ids changed; fill into another folder`,
        {
          file: folder,
        },
      );
    }
    return { ...base, ids: mine.length, outcome: 'already-published' };
  }
  if (mine.length === 0) {
    publishShard(to, { key: plan.key, index, shards, entries: 0, outputs: 0, localFolder: undefined });
    return { ...base, ids: 0, outcome: 'published' };
  }
  const localRoot = join(resolve(options.local ?? join(tmpdir(), 'fuseflow-shards')), `${plan.key.slice(0, 16)}-${shardName(index, shards)}`);
  const cache = openSampleCache({ dir: localRoot, pipeline: options.dataset.staticPipeline, salt: options.dataset.salt, audit: false });
  let fill: FillReport;
  let status;
  const publishedMeanwhile = (): boolean => readShardRecord(folder, { key: plan.key, index, shards }) !== undefined;
  try {
    fill = await cache.fill(mine, {
      ...(options.threads === undefined ? {} : { threads: options.threads }),
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    });
    cache.flushManifest();
    status = cache.status();
  } catch (err) {
    // A second fill of this shard on this node (a queue's retry of a stalled job) may have
    // published it and removed the shared working folder under this one: the shard is done.
    if (publishedMeanwhile()) return { ...base, ids: mine.length, outcome: 'already-published' };
    throw err;
  } finally {
    await cache.close().catch(() => undefined);
  }
  if (publishedMeanwhile()) return { ...base, ids: mine.length, outcome: 'already-published', fill };
  if (status.entries !== mine.length) {
    throw new InputError(
      `the local shard holds ${status.entries} entries, shard ${shardName(index, shards)} has ${mine.length} ids: it holds ids of another dataset; remove it or pass another --local`,
      {
        file: cache.folder,
      },
    );
  }
  try {
    publishShard(to, { key: plan.key, index, shards, entries: status.entries, outputs: status.outputs, localFolder: cache.folder });
  } catch (err) {
    if (publishedMeanwhile()) return { ...base, ids: mine.length, outcome: 'already-published', fill };
    throw err;
  }
  // The local environment was a working copy made here: removed (marker-scoped) once published.
  deleteCacheFolder(cache.folder);
  if (readdirSync(localRoot).length === 0) rmdirSync(localRoot);
  return { ...base, ids: mine.length, outcome: 'published', fill };
}
