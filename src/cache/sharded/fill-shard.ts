/**
 * Filling one shard of a sharded cache: shard i's ids (a pure function of each id and the shard
 * count, see shard-assign.ts) are filled into an LMDB environment of their own on local disk
 * (LMDB must not live on NFS/Lustre), which a killed fill resumes, then published to the shared
 * location: a shared folder by copy → fsync → rename (publish-shard.ts), or an S3 prefix by
 * uploading its files then its `shard.json` last (s3-shards.ts; the AWS SDK is imported only
 * then). A shard already published is left alone.
 */
import { existsSync, readdirSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InputError } from '../../core/errors.js';
import { launchRank } from '../../core/launch-rank.js';
import { deleteCacheFolder } from '../delete-cache.js';
import type { FillOptions, FillReport } from '../fill-cache.js';
import { openSampleCache } from '../open-cache.js';
import type { DatasetDefinition } from './dataset-module.js';
import { checkShards, shardIdsOf, shardName } from './shard-assign.js';
import { folderTarget, type PublishOutcome, type ShardTarget } from './shard-target.js';
import { isS3Url } from './shared-location.js';

export { preparePlan } from './fill-shard-plan.js';

/** Options of {@link fillShard}. */
export interface ShardFillOptions {
  /** The dataset (see loadDatasetModule). Required. */
  readonly dataset: DatasetDefinition;
  /** Number of shards. Required. */
  readonly shards: number;
  /** This shard's index; default from the launcher's environment (launchRank: Slurm, Kubernetes, RANK). */
  readonly index?: number;
  /** The shared location of the sharded cache: a folder, or `s3://BUCKET/PREFIX`. Required. */
  readonly to: string;
  /** For an `s3://` location: the endpoint of an S3-compatible store (default `$FUSEFLOW_S3_ENDPOINT`, else AWS S3). */
  readonly s3Endpoint?: string;
  /** For an `s3://` location: part size of multipart uploads, for files larger than it (default 64 MiB, at least 5 MiB). */
  readonly s3PartBytes?: number;
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
  /** The published shard folder (or `s3://…/shards/<name>/`). */
  readonly folder: string;
  /** Initial ids of this shard. */
  readonly ids: number;
  /** `published`: this call published it; `already-published`: it was there and complete (nothing done). */
  readonly outcome: 'published' | 'already-published';
  /** The local fill (absent when already published or the shard has no ids). */
  readonly fill?: FillReport;
  /** Files an earlier, interrupted upload to S3 had left complete and that were kept (0 for a folder). */
  readonly reusedFiles?: number;
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
  const target = isS3Url(options.to)
    ? (await import('./s3-shards.js')).s3Target(options.to, {
        ...(options.s3Endpoint === undefined ? {} : { endpoint: options.s3Endpoint }),
        ...(options.s3PartBytes === undefined ? {} : { partBytes: options.s3PartBytes }),
      })
    : folderTarget(options.to);
  try {
    return await fillInto(target, options, rank);
  } finally {
    target.close();
  }
}

async function fillInto(target: ShardTarget, options: ShardFillOptions, rank: ReturnType<typeof launchRank>): Promise<ShardFillReport> {
  const { rank: index, worldSize: shards } = rank;
  const plan = await target.preparePlan(options.dataset, shards);
  const folder = target.shardLocation(index, shards);
  const base = { index, shards, rankSource: rank.source, folder };
  const mine = shardIdsOf(options.dataset.ids, index, shards, options.dataset.file, options.onScan);
  const published = await target.published(plan, index, true);
  if (published !== undefined) {
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
    await target.publish({ key: plan.key, index, shards, entries: 0, outputs: 0, localFolder: undefined });
    return { ...base, ids: 0, outcome: 'published' };
  }
  const localRoot = join(resolve(options.local ?? join(tmpdir(), 'fuseflow-shards')), `${plan.key.slice(0, 16)}-${shardName(index, shards)}`);
  const cache = openSampleCache({ dir: localRoot, pipeline: options.dataset.staticPipeline, salt: options.dataset.salt, audit: false });
  let fill: FillReport;
  let status;
  const publishedMeanwhile = async (): Promise<boolean> => (await target.published(plan, index, false)) !== undefined;
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
    if (await publishedMeanwhile()) return { ...base, ids: mine.length, outcome: 'already-published' };
    throw err;
  } finally {
    await cache.close().catch(() => undefined);
  }
  if (await publishedMeanwhile()) return { ...base, ids: mine.length, outcome: 'already-published', fill };
  if (status.entries !== mine.length) {
    throw new InputError(
      `the local shard holds ${status.entries} entries, shard ${shardName(index, shards)} has ${mine.length} ids: it holds ids of another dataset; remove it or pass another --local`,
      {
        file: cache.folder,
      },
    );
  }
  let outcome: PublishOutcome;
  try {
    outcome = await target.publish({ key: plan.key, index, shards, entries: status.entries, outputs: status.outputs, localFolder: cache.folder });
  } catch (err) {
    if (await publishedMeanwhile()) return { ...base, ids: mine.length, outcome: 'already-published', fill };
    throw err;
  }
  // The local environment was a working copy made here: removed (marker-scoped) once published.
  // When another fill of this shard published first, it may be removing the same folder (same node).
  try {
    if (existsSync(cache.folder)) deleteCacheFolder(cache.folder);
    if (existsSync(localRoot) && readdirSync(localRoot).length === 0) rmdirSync(localRoot);
  } catch (err) {
    if (outcome.won) throw err;
  }
  if (!outcome.won) return { ...base, ids: mine.length, outcome: 'already-published', fill };
  return { ...base, ids: mine.length, outcome: 'published', fill, reusedFiles: outcome.reused };
}
