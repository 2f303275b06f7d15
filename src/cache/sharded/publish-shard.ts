/**
 * Publishing a shard to the shared location: its files are copied into a temporary folder under
 * `<shared>/.publishing/` (each flushed to disk, hashed as it is copied), `shard.json` and the
 * marker are written, the folder is flushed, and only then renamed to `<shared>/shards/<name>`.
 * Nothing reads `.publishing/`, so a publish killed half-way is never seen as complete; the next
 * publish of that shard on the same host removes what it left (when its process is gone); what a
 * publish on another host left is kept and named on stderr.
 */
import { closeSync, constants, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fsyncDir, outputErrorOf, sweepTemps, writerHost } from '../../core/safe-fs.js';
import { MARKER_FILE } from '../cache-marker.js';
import { shardName } from './shard-assign.js';
import { copyFileHashed, markerText, shardFolder, SHARD_DATA_FILES, SHARD_MADE_FILES, SHARDED_FILES, type ShardFile, type ShardRecord } from './shard-files.js';

/** Folder (beside `shards/`, same file system) that holds publishes in progress. */
export const PUBLISHING = '.publishing';

/** Writes the new file `file` (exclusive create, never through a link); flushes it to disk when `sync`. */
function writeNewFile(file: string, text: string, sync: boolean): void {
  let fd: number;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  } catch (err) {
    throw outputErrorOf(file, err);
  }
  try {
    const buf = Buffer.from(text, 'utf8');
    let done = 0;
    while (done < buf.byteLength) done += writeSync(fd, buf, done, buf.byteLength - done);
    if (sync) fsyncSync(fd);
  } catch (err) {
    throw outputErrorOf(file, err);
  } finally {
    closeSync(fd);
  }
}

/** What to publish: the shard, its counts, and the local cache folder holding its files (none for an empty shard). */
export interface ShardToPublish extends Pick<ShardRecord, 'key' | 'index' | 'shards' | 'entries' | 'outputs'> {
  /** Local cache folder with `cache.mdb` and the manifest; undefined for a shard without ids. */
  readonly localFolder: string | undefined;
}

const TEMP = /^(\d{5}-of-\d{5})\.(\d+)\.[0-9a-f]+@(.+)$/;

/**
 * Removes temporary folders of shard `name` that a process of this host left when it died; those
 * of another host are kept and named on stderr (safe-fs.ts sweepTemps).
 */
function removeStaleShardTemps(publishing: string, name: string): void {
  sweepTemps(
    publishing,
    (entry) => {
      const m = TEMP.exec(entry);
      return m === null || m[1] !== name ? undefined : { pid: Number(m[2]), host: m[3] as string };
    },
    `shard ${name}`,
  );
}

/**
 * Publishes one shard under `<to>/shards/<name>` by copy → fsync → rename. Returns `false` when
 * another process published the same shard first (its copy is kept, this one removed).
 * @throws {OutputError} naming the file or folder that cannot be written; the temporary folder is removed.
 */
export function publishShard(to: string, shard: ShardToPublish): boolean {
  const final = shardFolder(to, shard.index, shard.shards);
  const shardsDir = dirname(final);
  const publishing = join(to, PUBLISHING);
  const name = shardName(shard.index, shard.shards);
  for (const folder of [shardsDir, publishing]) {
    try {
      mkdirSync(folder, { recursive: true });
    } catch (err) {
      throw outputErrorOf(folder, err, 'cannot create the folder');
    }
  }
  removeStaleShardTemps(publishing, name);
  const tmp = join(publishing, `${name}.${process.pid}.${randomBytes(4).toString('hex')}@${writerHost()}`);
  try {
    mkdirSync(tmp);
  } catch (err) {
    throw outputErrorOf(tmp, err, 'cannot create the temporary shard folder');
  }
  try {
    const files: ShardFile[] = [];
    if (shard.localFolder !== undefined) {
      for (const file of SHARD_DATA_FILES) files.push({ name: file, ...copyFileHashed(join(shard.localFolder, file), join(tmp, file)) });
    }
    const record: ShardRecord = { kind: 'fuseflow-cache-shard', key: shard.key, index: shard.index, shards: shard.shards, entries: shard.entries, outputs: shard.outputs, files };
    writeNewFile(join(tmp, SHARDED_FILES.record), `${JSON.stringify(record, null, 2)}\n`, true);
    // The marker only guides `cache delete`: not worth a flush per shard (thousands of shards).
    writeNewFile(join(tmp, MARKER_FILE), markerText(shard.key, SHARD_MADE_FILES), false);
    fsyncDir(tmp);
    try {
      renameSync(tmp, final);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' || code === 'ENOTEMPTY') {
        rmSync(tmp, { recursive: true, force: true });
        return false;
      }
      throw outputErrorOf(final, err, 'cannot rename the published shard into place');
    }
    fsyncDir(shardsDir);
    return true;
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}
