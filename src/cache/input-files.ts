/**
 * The identity of the files a static pipeline reads, so a cache entry can tell when its inputs
 * changed on disk (a volume replaced under the same name keeps the ops' specs, hence the cache
 * key, unchanged). Per file: size, modification time and a SHA-256 of the content; the hash is
 * computed once per (path, size, mtime) and memoised. A folder read as a whole (a DICOM series)
 * is recorded as its listing plus each file in it.
 *
 * Which files were read comes from the ops themselves: ops that read input files (`image.load`,
 * `tabular.readRows`, and user ops that do the same) call `noteFileRead` (src/ops/file-reads.ts),
 * and the cache runs each computation inside `withFileReads` — on worker threads, in-thread, and
 * around a dataset's own `compute` alike, ops inside meta ops included.
 */
import { readdirSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { sha256File, sha256Hex } from './sha256.js';

/** One input as recorded in a cache entry. */
export interface FileIdentity {
  readonly path: string;
  /** `file`, or `folder` (then `size` is the number of entries and `sha256` hashes the sorted names). */
  readonly kind: 'file' | 'folder';
  readonly size: number;
  readonly mtimeMs: number;
  readonly sha256: string;
}

const memo = new Map<string, { readonly size: number; readonly mtimeMs: number; readonly ino: number; readonly sha256: string }>();

function fileIdentity(path: string, st: Stats): FileIdentity {
  const known = memo.get(path);
  if (known !== undefined && known.size === st.size && known.mtimeMs === st.mtimeMs && known.ino === st.ino) {
    return { path, kind: 'file', size: st.size, mtimeMs: st.mtimeMs, sha256: known.sha256 };
  }
  const sha256 = sha256File(path);
  memo.set(path, { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, sha256 });
  return { path, kind: 'file', size: st.size, mtimeMs: st.mtimeMs, sha256 };
}

function folderIdentity(path: string, st: Stats): FileIdentity {
  const names = readdirSync(path).sort();
  return { path, kind: 'folder', size: names.length, mtimeMs: st.mtimeMs, sha256: sha256Hex(JSON.stringify(names)) };
}

/**
 * Identities of `paths` (a folder adds its listing and each regular file in it), sorted by path,
 * duplicates once. A path that does not exist is left out (the op that reads it fails anyway).
 */
export function identify(paths: Iterable<string>): FileIdentity[] {
  const out = new Map<string, FileIdentity>();
  const add = (path: string): void => {
    if (out.has(path)) return;
    let st: Stats;
    try {
      st = statSync(path);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      out.set(path, folderIdentity(path, st));
      for (const name of readdirSync(path)) {
        const child = join(path, name);
        try {
          if (statSync(child).isFile()) add(child);
        } catch {
          // vanished meanwhile: the listing hash already differs next time
        }
      }
    } else if (st.isFile()) out.set(path, fileIdentity(path, st));
  };
  for (const p of paths) add(p);
  return [...out.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * The first recorded input that changed on disk (gone, or different content), or `undefined`.
 * Size and modification time unchanged → unchanged, without reading; otherwise the content hash
 * decides (a file touched but not changed is still fresh).
 */
export function changedInput(recorded: readonly FileIdentity[]): FileIdentity | undefined {
  for (const r of recorded) {
    let st: Stats;
    try {
      st = statSync(r.path);
    } catch {
      return r;
    }
    if (r.kind === 'folder') {
      if (!st.isDirectory() || folderIdentity(r.path, st).sha256 !== r.sha256) return r;
      continue;
    }
    if (!st.isFile()) return r;
    if (st.size === r.size && st.mtimeMs === r.mtimeMs) continue;
    if (st.size !== r.size || fileIdentity(r.path, st).sha256 !== r.sha256) return r;
  }
  return undefined;
}
