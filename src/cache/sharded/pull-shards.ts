/**
 * `cache pull`: copies a committed sharded cache from the shared location to a node's local disk
 * (where LMDB belongs), checking every byte against the SHA-256 its shard record (or the commit,
 * for the records themselves) holds. The copy goes to a temporary folder beside the target and is
 * renamed into place when complete, so a killed pull leaves no half copy under the target's name.
 * The target then opens like the shared folder (openCacheFolder, `fuseflow cache status`).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InputError } from '../../core/errors.js';
import { fsyncDir, outputErrorOf, OutputError, removeStaleTemps, tempPathFor } from '../../core/safe-fs.js';
import { MARKER_FILE } from '../cache-marker.js';
import { CACHE_FILES } from '../cache-files.js';
import { readManifest } from '../manifest.js';
import { requirePlan } from './commit-shards.js';
import { requireCommitted } from './sharded-store.js';
import { shardName } from './shard-assign.js';
import { copyFileHashed, readShardRecord, shardFolder, SHARDED_FILES } from './shard-files.js';
import { sha256Hex } from '../sha256.js';

/** What {@link pullShards} did. */
export interface PullReport {
  readonly from: string;
  readonly to: string;
  /** Bytes copied (0 when already pulled). */
  readonly bytes: number;
  readonly shards: number;
  readonly outcome: 'pulled' | 'already-pulled';
}

function mkdir(path: string): void {
  try {
    mkdirSync(path, { recursive: true });
  } catch (err) {
    throw outputErrorOf(path, err, 'cannot create the folder');
  }
}

/**
 * Copies the committed sharded cache at `from` to the new folder `to` (see the module comment).
 * Idempotent: when `to` already holds the same commit, nothing is copied.
 * @example pullShards('/shared/cache', '/scratch/cache');
 * @throws {InputError} naming the shared file: not a committed sharded cache, or a file whose
 *   bytes do not match their SHA-256 (the partial copy is removed).
 * @throws {OutputError} when `to` exists with other contents (never overwritten) or cannot be written.
 */
export function pullShards(from: string, to: string): PullReport {
  const src = resolve(from);
  const dest = resolve(to);
  const plan = requirePlan(src);
  const commit = requireCommitted(src, plan);
  const commitText = readFileSync(join(src, SHARDED_FILES.committed));
  if (existsSync(dest)) {
    let same: boolean;
    try {
      same = readFileSync(join(dest, SHARDED_FILES.committed)).equals(commitText);
      readManifest(join(dest, CACHE_FILES.manifest));
    } catch {
      same = false;
    }
    if (same) return { from: src, to: dest, bytes: 0, shards: plan.shards, outcome: 'already-pulled' };
    throw new OutputError(dest, 'already exists and is not a pull of this commit; refusing to overwrite it (choose another folder, or remove it yourself)');
  }
  mkdir(dirname(dest));
  removeStaleTemps(dest);
  const tmp = tempPathFor(dest);
  mkdir(tmp);
  let bytes = 0;
  const copy = (source: string, target: string, sha256: string | undefined): void => {
    const got = copyFileHashed(source, target);
    if (sha256 !== undefined && got.sha256 !== sha256)
      throw new InputError('does not match its recorded SHA-256 (damaged on the shared location); nothing was pulled', { file: source });
    bytes += got.bytes;
  };
  try {
    const manifestDigest = readFileSync(join(src, `${CACHE_FILES.manifest}.sha256`), 'utf8').trim();
    for (const name of [CACHE_FILES.pipeline, SHARDED_FILES.plan, MARKER_FILE, SHARDED_FILES.committed]) copy(join(src, name), join(tmp, name), undefined);
    for (let i = 0; i < plan.shards; i++) {
      const from = shardFolder(src, i, plan.shards);
      const into = shardFolder(tmp, i, plan.shards);
      mkdir(into);
      const recordFile = join(from, SHARDED_FILES.record);
      copy(recordFile, join(into, SHARDED_FILES.record), commit.records[i]);
      const record = readShardRecord(from, { key: plan.key, index: i, shards: plan.shards });
      if (record === undefined || sha256Hex(readFileSync(join(into, SHARDED_FILES.record))) !== commit.records[i]) {
        throw new InputError(`shard ${shardName(i, plan.shards)} changed after the commit; commit again`, { file: recordFile });
      }
      for (const f of record.files) copy(join(from, f.name), join(into, f.name), f.sha256);
      copy(join(from, MARKER_FILE), join(into, MARKER_FILE), undefined);
      fsyncDir(into);
    }
    copy(join(src, CACHE_FILES.manifest), join(tmp, CACHE_FILES.manifest), manifestDigest);
    copy(join(src, `${CACHE_FILES.manifest}.sha256`), join(tmp, `${CACHE_FILES.manifest}.sha256`), undefined);
    placePulledCopy(tmp, dest);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return { from: src, to: dest, bytes, shards: plan.shards, outcome: 'pulled' };
}

/** Makes the finished copy in `tmp` durable and renames it to `dest` (never half visible). */
export function placePulledCopy(tmp: string, dest: string): void {
  fsyncDir(join(tmp, SHARDED_FILES.shards));
  fsyncDir(tmp);
  try {
    renameSync(tmp, dest);
  } catch (err) {
    throw outputErrorOf(dest, err, 'cannot rename the pulled copy into place');
  }
  fsyncDir(dirname(dest));
}
