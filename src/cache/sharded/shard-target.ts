/**
 * Where a shard fill publishes: the storage interface of a sharded cache's shared location, with
 * the shared folder's implementation (copy → fsync → rename, publish-shard.ts). The S3 one is in
 * s3-shards.ts, imported only for an `s3://` location.
 */
import { resolve } from 'node:path';
import { InputError } from '../../core/errors.js';
import type { DatasetDefinition } from './dataset-module.js';
import { preparePlan } from './fill-shard-plan.js';
import { publishShard, type ShardToPublish } from './publish-shard.js';
import { shardName } from './shard-assign.js';
import { readShardRecord, shardFilesProblem, shardFolder, type ShardPlan, type ShardRecord } from './shard-files.js';

/** What a publish did: `won` false when another process published the same shard first; `reused` files already there. */
export interface PublishOutcome {
  readonly won: boolean;
  readonly reused: number;
}

/** A shared location that shards are published to. */
export interface ShardTarget {
  /** The location as reported (a resolved folder, or `s3://BUCKET/PREFIX`). */
  readonly location: string;
  /** Where shard `index` of `shards` is published (folder or URL), for reports. */
  shardLocation(index: number, shards: number): string;
  /**
   * Creates (or checks) the top level: description and plan.
   * @throws {InputError} when the location holds another pipeline's cache or another shard count.
   */
  preparePlan(dataset: DatasetDefinition, shards: number): Promise<ShardPlan>;
  /**
   * The record of shard `index` when it is published, else undefined. With `check`, its files are
   * checked against the record (presence and sizes).
   * @throws {InputError} for a damaged record, or with `check` damaged files (with what to remove).
   */
  published(plan: ShardPlan, index: number, check: boolean): Promise<ShardRecord | undefined>;
  /** Publishes a shard filled locally (see ShardToPublish). @throws {OutputError} naming what cannot be written. */
  publish(shard: ShardToPublish): Promise<PublishOutcome>;
  /** Releases connections (nothing for a folder). */
  close(): void;
}

/** The target of a shared folder `to`. */
export function folderTarget(to: string): ShardTarget {
  const dir = resolve(to);
  return {
    location: dir,
    shardLocation: (index, shards) => shardFolder(dir, index, shards),
    preparePlan: (dataset, shards) => Promise.resolve(preparePlan(dir, dataset, shards)),
    published(plan, index, check) {
      const folder = shardFolder(dir, index, plan.shards);
      const record = readShardRecord(folder, { key: plan.key, index, shards: plan.shards });
      if (record !== undefined && check) {
        const problem = shardFilesProblem(folder, record, false);
        if (problem !== undefined) {
          throw new InputError(`shard ${shardName(index, plan.shards)} is published but damaged (${problem}); remove its folder by hand and fill it again`, { file: folder });
        }
      }
      return Promise.resolve(record);
    },
    publish: (shard) => Promise.resolve({ won: publishShard(dir, shard), reused: 0 }),
    close: () => undefined,
  };
}
