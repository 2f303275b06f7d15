/**
 * `fuseflow cache status s3://BUCKET/PREFIX`: where a sharded cache on S3 stands, from its small
 * objects only — the listing (sizes), `pipeline.json`, `sharded.json`, each published shard's
 * `shard.json`, `committed.json` and, once committed, the combined `manifest.arrow` — never a
 * payload (`cache.mdb`). The same facts `cache status` gives for a shared folder: shards published,
 * complete (every file its record lists is there with the recorded size) or missing, initial ids,
 * outputs, bytes, and whether the cache is committed (and still matches its shards).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeStaleTemps, tempPathFor } from '../../core/safe-fs.js';
import { parseDescription, type CacheDescription } from '../cache-description.js';
import { CACHE_FILES } from '../cache-files.js';
import { readManifest } from '../manifest.js';
import { sha256Hex } from '../sha256.js';
import { commitRecordS3, CONCURRENCY, mapBounded, open as openObjects, requirePlanS3, shardKey, shardRecord, type S3Options } from './s3-shards.js';
import type { S3Objects } from './s3-objects.js';
import { SHARDED_FILES, type ShardPlan } from './shard-files.js';

/** One shard as the status sees it. */
type ShardState =
  | { readonly kind: 'missing' }
  | { readonly kind: 'damaged'; readonly problem: string }
  | { readonly kind: 'complete'; readonly entries: number; readonly outputs: number; readonly digest: string };

/** What {@link statusShardsS3} found. */
export interface S3CacheStatus {
  /** `s3://BUCKET/PREFIX/`. */
  readonly location: string;
  readonly key: string;
  /** `pipeline.json` (salt, creation time, ops), when readable. */
  readonly description: CacheDescription | undefined;
  readonly shards: number;
  /** Shards whose `shard.json` is there and whose files are all there with their recorded sizes. */
  readonly complete: number;
  /** Shard indices without a `shard.json` (not published, or an upload killed before it). */
  readonly missing: readonly number[];
  /** Published shards whose objects do not match their record, each with its problem. */
  readonly damaged: readonly { readonly index: number; readonly problem: string }[];
  /** Initial ids and output samples of the complete shards (their records). */
  readonly entries: number;
  readonly outputs: number;
  /** Objects under `shards/` and their total size (listing sizes; nothing downloaded). */
  readonly objects: number;
  readonly bytes: number;
  /**
   * `committed`: the commit and its manifest are there and match every shard's record;
   * `stale`: committed, but a shard record changed since, or a shard is now missing or damaged; `unfinished`: the commit
   * record is there but not the manifest's digest (commit again); `no`: not committed.
   */
  readonly committed: 'committed' | 'stale' | 'unfinished' | 'no';
  /** From the combined manifest, when committed: initial ids the pipeline dropped and the payload bytes. */
  readonly manifest?: { readonly rows: number; readonly dropped: number; readonly payloadBytes: number };
}

/** Shard `index` from its record and the listing's sizes. */
async function shardState(objects: S3Objects, plan: ShardPlan, index: number, sizes: ReadonlyMap<string, number>): Promise<ShardState> {
  if (!sizes.has(shardKey(index, plan.shards, SHARDED_FILES.record))) return { kind: 'missing' };
  let got;
  try {
    got = await shardRecord(objects, plan, index);
  } catch (err) {
    return { kind: 'damaged', problem: (err as Error).message };
  }
  if (got === undefined) return { kind: 'missing' };
  for (const f of got.record.files) {
    const key = shardKey(index, plan.shards, f.name);
    const size = sizes.get(key);
    if (size === undefined) return { kind: 'damaged', problem: `${objects.url(key)} is missing` };
    if (size !== f.bytes) return { kind: 'damaged', problem: `${objects.url(key)} has ${size} bytes, its shard record says ${f.bytes}` };
  }
  return { kind: 'complete', entries: got.record.entries, outputs: got.record.outputs, digest: sha256Hex(got.bytes) };
}

/**
 * Rows, dropped initial ids and payload bytes of the combined manifest, checked against its digest
 * (both downloaded to a temporary folder named by its writer, then removed).
 */
async function manifestCounts(objects: S3Objects): Promise<S3CacheStatus['manifest']> {
  const target = join(tmpdir(), `fuseflow-s3-status-${sha256Hex(Buffer.from(objects.url(''))).slice(0, 16)}`);
  const folder = tempPathFor(target);
  try {
    removeStaleTemps(target);
    mkdirSync(folder);
    for (const name of [CACHE_FILES.manifest, `${CACHE_FILES.manifest}.sha256`]) await objects.download(name, join(folder, name));
    const table = readManifest(join(folder, CACHE_FILES.manifest));
    const status = table.getChild('status');
    const bytes = table.getChild('payloadBytes');
    let dropped = 0;
    let payloadBytes = 0;
    for (let i = 0; i < table.numRows; i++) {
      if (status?.get(i) === 'dropped') dropped++;
      payloadBytes += Number(bytes?.get(i) ?? 0);
    }
    return { rows: table.numRows, dropped, payloadBytes };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/**
 * The status of the sharded cache at `s3://BUCKET/PREFIX` (see the module comment).
 * @example const s = await statusShardsS3('s3://lab-cache/brats', { endpoint: 'http://127.0.0.1:9000' });
 * @throws {InputError} naming the location when it is not a sharded cache, or an object that cannot be read.
 */
export async function statusShardsS3(location: string, options: S3Options = {}): Promise<S3CacheStatus> {
  const objects = openObjects(location, options);
  try {
    const plan = await requirePlanS3(objects);
    const descBytes = await objects.getSmall(CACHE_FILES.pipeline);
    const description = descBytes === undefined ? undefined : parseDescription(descBytes.toString('utf8'), objects.url(CACHE_FILES.pipeline));
    const sizes = await objects.list(`${SHARDED_FILES.shards}/`);
    const states = await mapBounded(plan.shards, CONCURRENCY, (i) => shardState(objects, plan, i, sizes));
    const missing: number[] = [];
    const damaged: { index: number; problem: string }[] = [];
    let entries = 0;
    let outputs = 0;
    states.forEach((s, index) => {
      if (s.kind === 'missing') missing.push(index);
      else if (s.kind === 'damaged') damaged.push({ index, problem: s.problem });
      else {
        entries += s.entries;
        outputs += s.outputs;
      }
    });
    let bytes = 0;
    for (const size of sizes.values()) bytes += size;
    const commit = await commitRecordS3(objects, plan);
    let committed: S3CacheStatus['committed'] = 'no';
    if (commit !== undefined) {
      const same = states.every((s, i) => s.kind === 'complete' && s.digest === commit.commit.records[i]);
      const finished = (await objects.head(`${CACHE_FILES.manifest}.sha256`)) !== undefined;
      committed = !finished ? 'unfinished' : same ? 'committed' : 'stale';
    }
    const manifest = committed === 'committed' ? await manifestCounts(objects) : undefined;
    return {
      location: objects.url(''),
      key: plan.key,
      description,
      shards: plan.shards,
      complete: states.filter((s) => s.kind === 'complete').length,
      missing,
      damaged,
      entries,
      outputs,
      objects: sizes.size,
      bytes,
      committed,
      ...(manifest === undefined ? {} : { manifest }),
    };
  } finally {
    objects.close();
  }
}
