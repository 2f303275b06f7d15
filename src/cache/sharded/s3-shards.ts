/**
 * A sharded cache whose shared location is an S3 prefix (`s3://BUCKET/PREFIX`), laid out as the
 * shared folder is (shard-files.ts), one object per file:
 *
 * ```
 * PREFIX/pipeline.json, PREFIX/sharded.json          written once by the first filler
 * PREFIX/shards/00002-of-00004/cache.mdb, manifest.arrow(.sha256)
 * PREFIX/shards/00002-of-00004/shard.json            the shard's "complete" marker, written LAST:
 *                                                    sizes and SHA-256 of the files above
 * PREFIX/committed.json, PREFIX/manifest.arrow(.sha256)  written by `cache commit`, the manifest last
 * ```
 * S3 has no rename, so a shard counts as published only when its `shard.json` exists: an upload
 * killed before it is redone by the next fill (files already there with this cache's metadata and
 * the same size and SHA-256 are kept). Objects that do not carry this cache's key in their
 * metadata are never overwritten: a fill, commit or pull that meets one stops and says so.
 * `cache pull` downloads a committed cache to local disk, checking every byte's SHA-256, into the
 * same layout a pull of a shared folder makes.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { tableToIPC } from 'apache-arrow';
import { InputError } from '../../core/errors.js';
import { fsyncDir, outputErrorOf, OutputError, removeStaleTemps, tempPathFor, writeFileAtomic } from '../../core/safe-fs.js';
import { pipelineSpec } from '../../ops/pipeline.js';
import { descriptionText, parseDescription } from '../cache-description.js';
import { CACHE_FILES } from '../cache-files.js';
import { cacheKey, CACHE_FORMAT_VERSION } from '../cache-key.js';
import { MARKER_FILE } from '../cache-marker.js';
import { buildManifest, readManifest } from '../manifest.js';
import { sha256Hex } from '../sha256.js';
import { gatherShards, type CommitReport, type ShardRead } from './commit-shards.js';
import type { DatasetDefinition } from './dataset-module.js';
import { manifestEntries, type ManifestEntry } from './manifest-entries.js';
import type { ShardToPublish } from './publish-shard.js';
import { placePulledCopy, type PullReport } from './pull-shards.js';
import { hashFile, META, S3Objects } from './s3-objects.js';
import { shardName, shardOfId } from './shard-assign.js';
import {
  checkCommitRecord,
  checkPlan,
  checkShardRecord,
  markerText,
  parseJson,
  planText,
  readShardRecord,
  shardFolder,
  SHARD_DATA_FILES,
  SHARD_MADE_FILES,
  SHARDED_FILES,
  TOP_FILES,
  type CommitRecord,
  type ShardFile,
  type ShardPlan,
  type ShardRecord,
} from './shard-files.js';
import type { PublishOutcome, ShardTarget } from './shard-target.js';
import { parseS3Location, type S3Location } from './shared-location.js';

/** Options of the S3 functions. */
export interface S3Options {
  /** Endpoint of an S3-compatible store; default `$FUSEFLOW_S3_ENDPOINT`, else AWS S3. */
  readonly endpoint?: string;
  /** Part size of multipart uploads (files larger than it); default 64 MiB, at least 5 MiB. */
  readonly partBytes?: number;
}

/** Key of `file` of shard `index` of `shards`, relative to the prefix. */
export const shardKey = (index: number, shards: number, file: string): string => `${SHARDED_FILES.shards}/${shardName(index, shards)}/${file}`;

export function open(location: string, options: S3Options): S3Objects {
  const loc: S3Location = parseS3Location(location, options.endpoint);
  return new S3Objects(loc, options.partBytes);
}

/**
 * Refuses an object at `key` that exists without this cache's key in its metadata.
 * @throws {OutputError} naming the URL, with how to proceed.
 */
function refuseForeign(objects: S3Objects, key: string, head: { meta: Readonly<Record<string, string>> } | undefined, cache: string): void {
  if (head === undefined || head.meta[META.cache] === cache) return;
  const owner = head.meta[META.cache];
  throw new OutputError(
    objects.url(key),
    `exists and was not written by fuseflow for this cache (${owner === undefined ? 'no fuseflow metadata' : `it belongs to cache ${owner.slice(0, 12)}…`}); refusing to overwrite it: remove it yourself if it is not needed, or use another prefix`,
  );
}

/** Writes the small object `key` unless one is there (another filler may write it first). */
async function writeOnce(objects: S3Objects, key: string, text: string, cache: string): Promise<void> {
  if ((await objects.head(key)) !== undefined) return;
  await objects.put(key, text, cache, true);
}

/** The parsed JSON object `key`, or undefined when absent. @throws {InputError} naming the URL. */
async function getJson(objects: S3Objects, key: string): Promise<{ raw: unknown; bytes: Buffer } | undefined> {
  const bytes = await objects.getSmall(key);
  return bytes === undefined ? undefined : { raw: parseJson(bytes.toString('utf8'), objects.url(key)), bytes };
}

/** The plan at the location. @throws {InputError} naming it when it is not a sharded cache. */
export async function requirePlanS3(objects: S3Objects): Promise<ShardPlan> {
  const got = await getJson(objects, SHARDED_FILES.plan);
  if (got === undefined) {
    throw new InputError(`not a sharded cache (no ${SHARDED_FILES.plan}); fill one with fuseflow cache fill MODULE --shards N --to ${objects.url('')}`, { file: objects.url('') });
  }
  return checkPlan(got.raw, objects.url(SHARDED_FILES.plan));
}

/** The shard record of shard `index`, or undefined when it is not published. */
export async function shardRecord(objects: S3Objects, plan: ShardPlan, index: number): Promise<{ record: ShardRecord; bytes: Buffer } | undefined> {
  const key = shardKey(index, plan.shards, SHARDED_FILES.record);
  const got = await getJson(objects, key);
  return got === undefined ? undefined : { record: checkShardRecord(got.raw, objects.url(key), { key: plan.key, index, shards: plan.shards }), bytes: got.bytes };
}

/** The first problem of a published shard's objects against its record (missing, size, SHA-256 metadata), by HEAD. */
async function shardObjectsProblem(objects: S3Objects, plan: ShardPlan, index: number, record: ShardRecord): Promise<string | undefined> {
  for (const f of record.files) {
    const key = shardKey(index, plan.shards, f.name);
    const head = await objects.head(key);
    if (head === undefined) return `${objects.url(key)} is missing`;
    if (head.bytes !== f.bytes) return `${objects.url(key)} has ${head.bytes} bytes, its shard record says ${f.bytes}`;
    if (head.meta[META.sha256] !== undefined && head.meta[META.sha256] !== f.sha256) return `${objects.url(key)} was uploaded with another SHA-256 than its shard record says`;
  }
  return undefined;
}

/** The fill target of an S3 location (see fill-shard.ts). */
export function s3Target(location: string, options: S3Options = {}): ShardTarget {
  const objects = open(location, options);
  return {
    location: objects.url(''),
    shardLocation: (index, shards) => objects.url(`${SHARDED_FILES.shards}/${shardName(index, shards)}/`),

    async preparePlan(dataset: DatasetDefinition, shards: number): Promise<ShardPlan> {
      const spec = pipelineSpec(dataset.staticPipeline);
      const key = cacheKey(spec, dataset.salt);
      await writeOnce(objects, CACHE_FILES.pipeline, descriptionText({ format: CACHE_FORMAT_VERSION, key, salt: dataset.salt, spec, createdAt: new Date().toISOString() }), key);
      const descUrl = objects.url(CACHE_FILES.pipeline);
      const descBytes = await objects.getSmall(CACHE_FILES.pipeline);
      if (descBytes === undefined) throw new InputError('vanished right after it was written (is something else removing objects here?)', { file: descUrl });
      const desc = parseDescription(descBytes.toString('utf8'), descUrl);
      if (desc.key !== key) {
        throw new InputError(
          `holds the cache of another static pipeline or salt (key ${desc.key.slice(0, 12)}…, this dataset's is ${key.slice(0, 12)}…); fill into another prefix`,
          {
            file: descUrl,
          },
        );
      }
      await writeOnce(objects, SHARDED_FILES.plan, planText(key, shards), key);
      const plan = await requirePlanS3(objects);
      const planUrl = objects.url(SHARDED_FILES.plan);
      if (plan.key !== key) throw new InputError('the plan does not match pipeline.json (damaged)', { file: planUrl });
      if (plan.shards !== shards) {
        throw new InputError(`this sharded cache was planned with ${plan.shards} shards, this fill says --shards ${shards}; use the same count, or another prefix`, {
          file: planUrl,
        });
      }
      return plan;
    },

    async published(plan: ShardPlan, index: number, check: boolean): Promise<ShardRecord | undefined> {
      const got = await shardRecord(objects, plan, index);
      if (got === undefined || !check) return got?.record;
      const problem = await shardObjectsProblem(objects, plan, index, got.record);
      if (problem !== undefined) {
        const where = objects.url(`${SHARDED_FILES.shards}/${shardName(index, plan.shards)}/`);
        throw new InputError(`shard ${shardName(index, plan.shards)} is published but damaged (${problem}); remove the objects under ${where} by hand and fill it again`, {
          file: where,
        });
      }
      return got.record;
    },

    async publish(shard: ShardToPublish): Promise<PublishOutcome> {
      const recordKey = shardKey(shard.index, shard.shards, SHARDED_FILES.record);
      const files: ShardFile[] = [];
      if (shard.localFolder !== undefined) for (const name of SHARD_DATA_FILES) files.push({ name, ...hashFile(join(shard.localFolder, name)) });
      // Check every target first: a foreign object stops the publish before anything is written.
      const heads = [];
      for (const f of files) {
        const key = shardKey(shard.index, shard.shards, f.name);
        const head = await objects.head(key);
        refuseForeign(objects, key, head, shard.key);
        heads.push(head);
      }
      const recordHead = await objects.head(recordKey);
      if (recordHead !== undefined) {
        refuseForeign(objects, recordKey, recordHead, shard.key);
        return { won: false, reused: 0 };
      }
      let reused = 0;
      for (const [i, f] of files.entries()) {
        const head = heads[i];
        // Left by a publish that was killed before its shard.json: the same bytes need no second upload.
        if (head !== undefined && head.bytes === f.bytes && head.meta[META.sha256] === f.sha256) {
          reused++;
          continue;
        }
        await objects.upload(shardKey(shard.index, shard.shards, f.name), join(shard.localFolder as string, f.name), f.bytes, f.sha256, shard.key);
      }
      // What shard.json will vouch for must be what is there now (another filler of this shard may have uploaded meanwhile).
      for (const f of files) {
        const key = shardKey(shard.index, shard.shards, f.name);
        const head = await objects.head(key);
        if (head === undefined || head.bytes !== f.bytes || head.meta[META.sha256] !== f.sha256) {
          if ((await objects.head(recordKey)) !== undefined) return { won: false, reused };
          throw new OutputError(
            objects.url(key),
            `changed while this shard was published (another fill of shard ${shardName(shard.index, shard.shards)} at the same time?); fill it again`,
          );
        }
      }
      const record: ShardRecord = { kind: 'fuseflow-cache-shard', key: shard.key, index: shard.index, shards: shard.shards, entries: shard.entries, outputs: shard.outputs, files };
      const won = await objects.put(recordKey, `${JSON.stringify(record, null, 2)}\n`, shard.key, true);
      return { won, reused };
    },

    close: () => objects.close(),
  };
}

/** Shards read or pulled at once (requests in flight; a pull's shard downloads its files one by one). */
export const CONCURRENCY = 8;

/**
 * `fn(0)` … `fn(n - 1)` with at most `limit` running at once; results by index. After a failure
 * no new call starts; the first failure is thrown once the running calls have ended.
 */
export async function mapBounded<T>(n: number, limit: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(n);
  let next = 0;
  let failed: { err: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (failed === undefined && next < n) {
      const i = next++;
      try {
        out[i] = await fn(i);
      } catch (err) {
        failed ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, lane));
  if (failed !== undefined) throw failed.err;
  return out;
}

/** Reads shard `index`'s record and manifest entries (its manifest downloaded into `scratch`), or the reason it is not complete. */
async function readShardS3(objects: S3Objects, plan: ShardPlan, index: number, sizes: ReadonlyMap<string, number>, scratch: string): Promise<ShardRead> {
  if (!sizes.has(shardKey(index, plan.shards, SHARDED_FILES.record))) return undefined;
  let got;
  try {
    got = await shardRecord(objects, plan, index);
  } catch (err) {
    return { problem: (err as Error).message };
  }
  if (got === undefined) return undefined;
  const { record } = got;
  for (const f of record.files) {
    const key = shardKey(index, plan.shards, f.name);
    const size = sizes.get(key);
    if (size === undefined) return { problem: `${objects.url(key)} is missing` };
    if (size !== f.bytes) return { problem: `${objects.url(key)} has ${size} bytes, its shard record says ${f.bytes}` };
  }
  const digest = sha256Hex(got.bytes);
  if (record.entries === 0) return { entries: [], digest, count: 0 };
  const dir = join(scratch, shardName(index, plan.shards));
  mkdirSync(dir);
  const url = objects.url(shardKey(index, plan.shards, CACHE_FILES.manifest));
  let entries: ManifestEntry[];
  try {
    for (const name of [CACHE_FILES.manifest, `${CACHE_FILES.manifest}.sha256`]) await objects.download(shardKey(index, plan.shards, name), join(dir, name));
    entries = manifestEntries(readManifest(join(dir, CACHE_FILES.manifest)), url);
  } catch (err) {
    return { problem: (err as Error).message };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (entries.length !== record.entries) return { problem: `${url} lists ${entries.length} initial ids, ${SHARDED_FILES.record} says ${record.entries}` };
  const stray = entries.find((e) => shardOfId(e.initialId, plan.shards) !== index);
  if (stray !== undefined) return { problem: `${url} lists '${stray.initialId}', which belongs to shard ${shardOfId(stray.initialId, plan.shards)}` };
  return { entries, digest, count: entries.length };
}

/** The commit record at the location, checked, or undefined when there is none. */
export async function commitRecordS3(objects: S3Objects, plan: ShardPlan): Promise<{ commit: CommitRecord; bytes: Buffer } | undefined> {
  const got = await getJson(objects, SHARDED_FILES.committed);
  return got === undefined ? undefined : { commit: checkCommitRecord(got.raw, objects.url(SHARDED_FILES.committed), plan), bytes: got.bytes };
}

/**
 * `cache commit s3://…`: lists the shards, checks every shard's record and the sizes of its
 * objects, rebuilds the combined manifest from the shard manifests (as a shared folder's commit
 * does), then writes `committed.json` and, last, `manifest.arrow` and its digest. Idempotent.
 * @example await commitShardsS3('s3://lab-cache/brats', { endpoint: 'http://127.0.0.1:9000' })
 * @throws {InputError} naming the location: not a sharded cache, shards missing (as index ranges)
 *   or damaged (each with its problem); nothing is written then.
 * @throws {OutputError} naming an object that cannot be written, or that is not this cache's.
 */
export async function commitShardsS3(location: string, options: S3Options = {}): Promise<CommitReport> {
  const objects = open(location, options);
  // Shard manifests are read in a scratch folder named by its writer; a killed commit's is removed by the next commit of this location on the host.
  const scratchOf = join(tmpdir(), `fuseflow-s3-commit-${sha256Hex(Buffer.from(objects.url(''))).slice(0, 16)}`);
  const scratch = tempPathFor(scratchOf);
  try {
    removeStaleTemps(scratchOf);
    mkdir(scratch);
    const plan = await requirePlanS3(objects);
    const sizes = await objects.list(`${SHARDED_FILES.shards}/`);
    const shards = await mapBounded(plan.shards, CONCURRENCY, (i) => readShardS3(objects, plan, i, sizes, scratch));
    const here = objects.url('');
    const { all, entries, records, total } = gatherShards(plan, shards, here, here);
    const table = buildManifest(all);
    const base = { folder: here, shards: plan.shards, entries: total, rows: table.numRows };
    const digestKey = `${CACHE_FILES.manifest}.sha256`;
    let before: Awaited<ReturnType<typeof commitRecordS3>>;
    try {
      before = await commitRecordS3(objects, plan);
    } catch {
      before = undefined;
    }
    if (before !== undefined && before.commit.records.every((r, i) => r === records[i]) && (await objects.head(digestKey)) !== undefined) {
      return { ...base, outcome: 'already-committed' };
    }
    // Only this cache's own commit objects may be replaced.
    for (const key of [SHARDED_FILES.committed, CACHE_FILES.manifest, digestKey]) refuseForeign(objects, key, await objects.head(key), plan.key);
    const commit: CommitRecord = { kind: 'fuseflow-sharded-commit', key: plan.key, shards: plan.shards, entries, records };
    const bytes = tableToIPC(table, 'file');
    await objects.put(SHARDED_FILES.committed, `${JSON.stringify(commit)}\n`, plan.key, false);
    await objects.put(CACHE_FILES.manifest, bytes, plan.key, false);
    await objects.put(digestKey, `${sha256Hex(bytes)}\n`, plan.key, false);
    return { ...base, outcome: 'committed' };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    objects.close();
  }
}

function mkdir(path: string): void {
  try {
    mkdirSync(path, { recursive: true });
  } catch (err) {
    throw outputErrorOf(path, err, 'cannot create the folder');
  }
}

/**
 * `cache pull s3://… --to LOCAL`: downloads a committed sharded cache to the new local folder `to`,
 * checking every file's size and SHA-256 against its shard record (and each record against the
 * commit, the manifest against its digest), into a temporary folder beside `to` renamed into place
 * when complete. The result is laid out as a pull of a shared folder (markers included) and opens
 * as one cache. Idempotent: when `to` already holds the same commit, nothing is downloaded.
 * @example await pullShardsS3('s3://lab-cache/brats', '/scratch/brats-cache')
 * @throws {InputError} naming the object: not a committed sharded cache, or bytes that do not
 *   match their SHA-256 (the partial copy is removed).
 * @throws {OutputError} when `to` exists with other contents (never overwritten) or cannot be written.
 */
export async function pullShardsS3(location: string, to: string, options: S3Options = {}): Promise<PullReport> {
  const objects = open(location, options);
  const src = objects.url('');
  const dest = resolve(to);
  try {
    const plan = await requirePlanS3(objects);
    const committed = await commitRecordS3(objects, plan);
    if (committed === undefined) {
      throw new InputError(`a sharded cache that is not committed yet (no ${SHARDED_FILES.committed}); when every shard is filled run: fuseflow cache commit ${src}`, {
        file: src,
      });
    }
    const { commit } = committed;
    if (existsSync(dest)) {
      let same: boolean;
      try {
        same = readFileSync(join(dest, SHARDED_FILES.committed)).equals(committed.bytes);
        readManifest(join(dest, CACHE_FILES.manifest));
      } catch {
        same = false;
      }
      if (same) return { from: src, to: dest, bytes: 0, shards: plan.shards, outcome: 'already-pulled' };
      throw new OutputError(dest, 'already exists and is not a pull of this commit; refusing to overwrite it (choose another folder, or remove it yourself)');
    }
    const digestBytes = await objects.getSmall(`${CACHE_FILES.manifest}.sha256`);
    if (digestBytes === undefined) {
      throw new InputError(`the commit did not finish (no ${CACHE_FILES.manifest}.sha256); run fuseflow cache commit ${src} again`, { file: src });
    }
    mkdir(dirname(dest));
    removeStaleTemps(dest);
    const tmp = tempPathFor(dest);
    mkdir(tmp);
    let bytes = 0;
    const fetchFile = async (key: string, target: string, sha256: string | undefined, size?: number): Promise<void> => {
      const got = await objects.download(key, target);
      if ((sha256 !== undefined && got.sha256 !== sha256) || (size !== undefined && got.bytes !== size)) {
        throw new InputError('does not match its recorded size and SHA-256 (damaged on the shared location); nothing was pulled', { file: objects.url(key) });
      }
      bytes += got.bytes;
    };
    try {
      await fetchFile(CACHE_FILES.pipeline, join(tmp, CACHE_FILES.pipeline), undefined);
      await fetchFile(SHARDED_FILES.plan, join(tmp, SHARDED_FILES.plan), undefined);
      writeFileAtomic(join(tmp, SHARDED_FILES.committed), committed.bytes);
      bytes += committed.bytes.byteLength;
      writeFileAtomic(join(tmp, MARKER_FILE), markerText(plan.key, TOP_FILES));
      await mapBounded(plan.shards, CONCURRENCY, async (i) => {
        const into = shardFolder(tmp, i, plan.shards);
        mkdir(into);
        const recordKey = shardKey(i, plan.shards, SHARDED_FILES.record);
        await fetchFile(recordKey, join(into, SHARDED_FILES.record), undefined);
        const record = readShardRecord(into, { key: plan.key, index: i, shards: plan.shards });
        if (record === undefined || sha256Hex(readFileSync(join(into, SHARDED_FILES.record))) !== commit.records[i]) {
          throw new InputError(`shard ${shardName(i, plan.shards)} changed after the commit; commit again`, { file: objects.url(recordKey) });
        }
        for (const f of record.files) await fetchFile(shardKey(i, plan.shards, f.name), join(into, f.name), f.sha256, f.bytes);
        writeFileAtomic(join(into, MARKER_FILE), markerText(plan.key, SHARD_MADE_FILES));
        fsyncDir(into);
      });
      await fetchFile(CACHE_FILES.manifest, join(tmp, CACHE_FILES.manifest), digestBytes.toString('utf8').trim());
      writeFileAtomic(join(tmp, `${CACHE_FILES.manifest}.sha256`), digestBytes);
      bytes += digestBytes.byteLength;
      placePulledCopy(tmp, dest);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
    return { from: src, to: dest, bytes, shards: plan.shards, outcome: 'pulled' };
  } finally {
    objects.close();
  }
}
