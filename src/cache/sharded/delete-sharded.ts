/**
 * `fuseflow cache delete` on a sharded cache: each shard folder is deleted through its own marker
 * (only the files the cache made there), publishes left in `.publishing/` likewise, then the top
 * level through its marker; folders are removed only when nothing else is left in them.
 */
import { existsSync, lstatSync, readdirSync, rmdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MARKER_FILE } from '../cache-marker.js';
import { deleteCacheFolder, type DeleteReport } from '../delete-cache.js';
import { PUBLISHING } from './publish-shard.js';
import { SHARDED_FILES } from './shard-files.js';

/** What {@link deleteShardedCache} did: the top level's report plus the shard folders removed and kept. */
export interface ShardedDeleteReport extends DeleteReport {
  readonly shardsRemoved: number;
  /** Shard (or publish) folders kept because they hold files the cache did not make, or no marker. */
  readonly shardsKept: readonly string[];
}

/** Deletes the marked folders directly under `parent` (not links); returns how many went and which stayed. */
function deleteMarkedFolders(parent: string): { removed: number; kept: string[] } {
  let removed = 0;
  const kept: string[] = [];
  if (!existsSync(parent)) return { removed, kept };
  for (const name of readdirSync(parent).sort()) {
    const path = join(parent, name);
    if (!lstatSync(path).isDirectory()) continue;
    if (!existsSync(join(path, MARKER_FILE))) {
      kept.push(path);
      continue;
    }
    if (deleteCacheFolder(path).folderRemoved) removed++;
    else kept.push(path);
  }
  if (readdirSync(parent).length === 0) rmdirSync(parent);
  return { removed, kept };
}

/**
 * Deletes the sharded cache at `dir` (see the module comment).
 * @example const r = deleteShardedCache('/shared/cache'); // r.folderRemoved when nothing else was there
 * @throws {InputError} as deleteCacheFolder does (root, home or working folder, a link, no marker).
 */
export function deleteShardedCache(dir: string): ShardedDeleteReport {
  const folder = resolve(dir);
  const shards = deleteMarkedFolders(join(folder, SHARDED_FILES.shards));
  const publishing = deleteMarkedFolders(join(folder, PUBLISHING));
  const top = deleteCacheFolder(folder);
  return { ...top, shardsRemoved: shards.removed + publishing.removed, shardsKept: [...shards.kept, ...publishing.kept] };
}
