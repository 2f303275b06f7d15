/**
 * The files of a sharded cache on the shared location, and the records that say what is complete.
 *
 * ```
 * SHARED/pipeline.json            the cache description (same format as a single cache's)
 * SHARED/sharded.json             the plan: cache key and shard count (written by the first filler)
 * SHARED/.fuseflow-cache.json     marker: the files above and below that the cache makes here
 * SHARED/shards/00002-of-00004/   one published shard: cache.mdb, manifest.arrow(.sha256) (absent
 *                                 when the shard has no ids), shard.json (sizes and SHA-256 of
 *                                 those files), its own marker
 * SHARED/.publishing/…           publishes in progress (or killed): never read as shards
 * SHARED/committed.json           written by `cache commit`: each shard's entry count and the
 *                                 SHA-256 of its shard.json
 * SHARED/manifest.arrow(.sha256)  the combined manifest, written last by `cache commit`
 * ```
 * A shard folder appears under its final name only by a rename of a complete copy, so a shard
 * that exists is complete unless its files were damaged since (which the sizes and digests catch).
 * On S3 (`s3://BUCKET/PREFIX`, s3-shards.ts) the same names are object keys under the prefix, and
 * a shard counts as published when its `shard.json`, uploaded after its files, exists.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, existsSync, fsyncSync, openSync, readFileSync, readSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../core/errors.js';
import { outputErrorOf } from '../../core/safe-fs.js';
import type { CacheMarker } from '../cache-marker.js';
import { CACHE_FILES } from '../cache-files.js';
import { sha256File } from '../sha256.js';
import { shardName } from './shard-assign.js';

/** File and folder names of a sharded cache. */
export const SHARDED_FILES = { plan: 'sharded.json', shards: 'shards', record: 'shard.json', committed: 'committed.json' } as const;

/** Files a shard may publish, in this order (the store and manifest are absent for an empty shard). */
export const SHARD_DATA_FILES = [CACHE_FILES.store, CACHE_FILES.manifest, `${CACHE_FILES.manifest}.sha256`] as const;

/** The plan of a sharded cache (`sharded.json`). */
export interface ShardPlan {
  readonly kind: 'fuseflow-sharded-cache';
  readonly key: string;
  readonly shards: number;
  /** How ids map to shards: `sha256-48-mod` (see shard-assign.ts). */
  readonly assign: 'sha256-48-mod';
}

/** One published file of a shard: name, size and SHA-256. */
export interface ShardFile {
  readonly name: string;
  readonly bytes: number;
  readonly sha256: string;
}

/** `shard.json`: what a published shard holds. */
export interface ShardRecord {
  readonly kind: 'fuseflow-cache-shard';
  readonly key: string;
  readonly index: number;
  readonly shards: number;
  /** Initial ids in the shard (committed entries, dropped ones included). */
  readonly entries: number;
  /** Output samples in the shard. */
  readonly outputs: number;
  readonly files: readonly ShardFile[];
}

/** `committed.json`: the shards a commit combined. */
export interface CommitRecord {
  readonly kind: 'fuseflow-sharded-commit';
  readonly key: string;
  readonly shards: number;
  /** Entries of each shard, by index. */
  readonly entries: readonly number[];
  /** SHA-256 of each shard's `shard.json`, by index. */
  readonly records: readonly string[];
}

/** The folder of shard `index` of `shards` under `dir`. */
export const shardFolder = (dir: string, index: number, shards: number): string => join(dir, SHARDED_FILES.shards, shardName(index, shards));

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isHex64 = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);

/**
 * Parses the JSON text of `file` (a path or an `s3://` URL, for messages).
 * @throws {InputError} naming `file` when the text is not JSON.
 */
export function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InputError('not valid JSON (damaged, or not written by fuseflow)', { file });
  }
}

/** Reads and parses a JSON file; undefined when it does not exist. */
function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InputError(`cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { file });
  }
  return parseJson(text, file);
}

/**
 * The plan of the sharded cache at `dir`, or undefined when `dir` has no `sharded.json`.
 * @throws {InputError} naming the file when it is damaged.
 */
export function readPlan(dir: string): ShardPlan | undefined {
  const file = join(dir, SHARDED_FILES.plan);
  const raw = readJson(file);
  return raw === undefined ? undefined : checkPlan(raw, file);
}

/**
 * Checks the parsed `sharded.json` read from `file` (a path or an `s3://` URL).
 * @throws {InputError} naming `file` when it is not a plan.
 */
export function checkPlan(raw: unknown, file: string): ShardPlan {
  if (!isRecord(raw) || raw['kind'] !== 'fuseflow-sharded-cache' || !isHex64(raw['key']) || !isCount(raw['shards']) || raw['shards'] < 1 || raw['assign'] !== 'sha256-48-mod') {
    throw new InputError("not a sharded cache plan (expected kind 'fuseflow-sharded-cache', a key, a shard count and assign 'sha256-48-mod')", { file });
  }
  return { kind: 'fuseflow-sharded-cache', key: raw['key'], shards: raw['shards'], assign: 'sha256-48-mod' };
}

/** The text of a plan file. */
export const planText = (key: string, shards: number): string =>
  `${JSON.stringify({ kind: 'fuseflow-sharded-cache', key, shards, assign: 'sha256-48-mod' } satisfies ShardPlan, null, 2)}\n`;

/** The text of a marker listing `files`. */
export const markerText = (key: string, files: readonly string[]): string => `${JSON.stringify({ kind: 'fuseflow-cache', key, files } satisfies CacheMarker, null, 2)}\n`;

/** Files a sharded cache makes at its top level (what its marker lists). */
export const TOP_FILES = [CACHE_FILES.pipeline, SHARDED_FILES.plan, SHARDED_FILES.committed, CACHE_FILES.manifest, `${CACHE_FILES.manifest}.sha256`] as const;

/** Files a shard folder may hold that the cache made (LMDB's lock file, made by readers, included). */
export const SHARD_MADE_FILES = [...SHARD_DATA_FILES, 'cache.mdb-lock', SHARDED_FILES.record] as const;

/**
 * Reads and checks `shard.json` of a shard folder, or undefined when the folder or file is absent.
 * @throws {InputError} naming the file when it is damaged or belongs to another shard or cache.
 */
export function readShardRecord(folder: string, expect: { readonly key: string; readonly index: number; readonly shards: number }): ShardRecord | undefined {
  const file = join(folder, SHARDED_FILES.record);
  const raw = readJson(file);
  return raw === undefined ? undefined : checkShardRecord(raw, file, expect);
}

/**
 * Checks the parsed `shard.json` read from `file` (a path or an `s3://` URL) against the shard it should record.
 * @throws {InputError} naming `file` when it is damaged or belongs to another shard or cache.
 */
export function checkShardRecord(raw: unknown, file: string, expect: { readonly key: string; readonly index: number; readonly shards: number }): ShardRecord {
  const files = isRecord(raw) ? raw['files'] : undefined;
  if (
    !isRecord(raw) ||
    raw['kind'] !== 'fuseflow-cache-shard' ||
    !isHex64(raw['key']) ||
    !isCount(raw['index']) ||
    !isCount(raw['shards']) ||
    !isCount(raw['entries']) ||
    !isCount(raw['outputs']) ||
    !Array.isArray(files) ||
    !files.every((f) => isRecord(f) && (SHARD_DATA_FILES as readonly unknown[]).includes(f['name']) && isCount(f['bytes']) && isHex64(f['sha256']))
  ) {
    throw new InputError("not a shard record (expected kind 'fuseflow-cache-shard', key, index, shards, entries, outputs and files with name, bytes, sha256)", { file });
  }
  if (raw['key'] !== expect.key || raw['index'] !== expect.index || raw['shards'] !== expect.shards) {
    throw new InputError(
      `records shard ${String(raw['index'])} of ${String(raw['shards'])} of cache ${String(raw['key']).slice(0, 12)}…, expected shard ${expect.index} of ${expect.shards} of cache ${expect.key.slice(0, 12)}…`,
      { file },
    );
  }
  return raw as unknown as ShardRecord;
}

/**
 * The first problem of a published shard's files against its record (a missing file, a size that
 * differs, and with `hash` a SHA-256 that differs), or undefined when they agree.
 */
export function shardFilesProblem(folder: string, record: ShardRecord, hash: boolean): string | undefined {
  for (const f of record.files) {
    const path = join(folder, f.name);
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      return `${path} is missing`;
    }
    if (size !== f.bytes) return `${path} has ${size} bytes, its shard record says ${f.bytes}`;
    if (hash && sha256File(path) !== f.sha256) return `${path} does not match its SHA-256 in ${SHARDED_FILES.record} (damaged)`;
  }
  return undefined;
}

/** Bytes copied at a time by {@link copyFileHashed}. */
const CHUNK = 4 * 2 ** 20;

/**
 * Copies `src` to the new file `dest` (created exclusively, never through a link) in 4 MiB chunks,
 * hashing the bytes as they pass, then flushes `dest` to disk. Returns the size and SHA-256.
 * @throws {InputError} naming `src` when it cannot be read; {OutputError} naming `dest`.
 */
export function copyFileHashed(src: string, dest: string): { readonly bytes: number; readonly sha256: string } {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(CHUNK);
  let from: number;
  try {
    from = openSync(src, 'r');
  } catch (err) {
    throw new InputError(`cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { file: src });
  }
  let to = -1;
  let bytes = 0;
  try {
    try {
      to = openSync(dest, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    } catch (err) {
      throw outputErrorOf(dest, err);
    }
    for (;;) {
      const n = readSync(from, buf, 0, CHUNK, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
      try {
        let done = 0;
        while (done < n) done += writeSync(to, buf, done, n - done);
        bytes += n;
      } catch (err) {
        throw outputErrorOf(dest, err);
      }
    }
    try {
      fsyncSync(to);
    } catch (err) {
      throw outputErrorOf(dest, err, 'cannot flush to disk');
    }
  } finally {
    closeSync(from);
    if (to >= 0) closeSync(to);
  }
  return { bytes, sha256: hash.digest('hex') };
}

/**
 * Reads and checks `committed.json` of `dir` against its plan, or undefined when absent.
 * @throws {InputError} naming the file when it is damaged or does not match the plan.
 */
export function readCommitRecord(dir: string, plan: ShardPlan): CommitRecord | undefined {
  const file = join(dir, SHARDED_FILES.committed);
  const raw = readJson(file);
  return raw === undefined ? undefined : checkCommitRecord(raw, file, plan);
}

/**
 * Checks the parsed `committed.json` read from `file` (a path or an `s3://` URL) against the plan.
 * @throws {InputError} naming `file` when it is damaged or does not match the plan.
 */
export function checkCommitRecord(raw: unknown, file: string, plan: ShardPlan): CommitRecord {
  const entries = isRecord(raw) ? raw['entries'] : undefined;
  const records = isRecord(raw) ? raw['records'] : undefined;
  if (
    !isRecord(raw) ||
    raw['kind'] !== 'fuseflow-sharded-commit' ||
    raw['key'] !== plan.key ||
    raw['shards'] !== plan.shards ||
    !Array.isArray(entries) ||
    entries.length !== plan.shards ||
    !entries.every(isCount) ||
    !Array.isArray(records) ||
    records.length !== plan.shards ||
    !records.every(isHex64)
  ) {
    throw new InputError(`not the commit record of this cache (expected kind 'fuseflow-sharded-commit', key ${plan.key.slice(0, 12)}…, ${plan.shards} shard counts and digests)`, {
      file,
    });
  }
  return raw as unknown as CommitRecord;
}

/** True when `dir` holds a sharded cache plan. */
export const isShardedFolder = (dir: string): boolean => existsSync(join(dir, SHARDED_FILES.plan));
