/**
 * The identity of the files a static pipeline reads, so a cache entry can tell when its inputs
 * changed on disk (a volume replaced under the same name keeps the ops' specs, hence the cache
 * key, unchanged). Per file: size, modification time and a SHA-256 of the content; the hash is
 * computed once per (path, size, mtime) and memoised. A folder read as a whole (a DICOM series)
 * is recorded as its listing plus each file in it.
 *
 * Which files an op reads is declared per op name by a resolver: built in for `image.load` (the
 * path at its `key`, under `dir`) and `tabular.readRows` (its `file`); user ops that read files
 * declare theirs with {@link registerInputFiles}. Ops inside meta ops are not looked into.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readSync, statSync, type Stats } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { getKey, type Sample } from '../core/sample.js';
import type { Op } from '../ops/op.js';

/** One input as recorded in a cache entry. */
export interface FileIdentity {
  readonly path: string;
  /** `file`, or `folder` (then `size` is the number of entries and `sha256` hashes the sorted names). */
  readonly kind: 'file' | 'folder';
  readonly size: number;
  readonly mtimeMs: number;
  readonly sha256: string;
}

/** Names the files an op reads for one input sample (absolute or relative to the working folder). */
export type InputFileResolver = (options: Readonly<Record<string, unknown>>, sample: Sample) => readonly string[];

const resolvers = new Map<string, InputFileResolver>([
  [
    'image.load',
    (o, s) => {
      const value = getKey<unknown>(s, String(o['key']));
      if (typeof value !== 'string') return [];
      return [typeof o['dir'] !== 'string' || isAbsolute(value) ? value : join(o['dir'], value)];
    },
  ],
  ['tabular.readRows', (o) => (typeof o['file'] === 'string' ? [o['file']] : [])],
]);

/**
 * Declares which files a (user) op reads, so caches record them. Call it beside `defineOp`, in the
 * op's own module (worker threads import that module too).
 * @example registerInputFiles('my.loadMask', (o, s) => [getKey<string>(s, 'data.maskPath')]);
 */
export function registerInputFiles(opName: string, resolver: InputFileResolver): void {
  resolvers.set(opName, resolver);
}

/** Absolute paths of the files `op` reads for `sample` (none for ops without a resolver). */
export function inputFilesOf(op: Op<object>, sample: Sample): string[] {
  const r = resolvers.get(op.name);
  if (r === undefined) return [];
  return r(op.options as Readonly<Record<string, unknown>>, sample).map((p) => resolve(p));
}

const memo = new Map<string, { readonly size: number; readonly mtimeMs: number; readonly ino: number; readonly sha256: string }>();

function hashFile(path: string): string {
  const h = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

function fileIdentity(path: string, st: Stats): FileIdentity {
  const known = memo.get(path);
  if (known !== undefined && known.size === st.size && known.mtimeMs === st.mtimeMs && known.ino === st.ino) {
    return { path, kind: 'file', size: st.size, mtimeMs: st.mtimeMs, sha256: known.sha256 };
  }
  const sha256 = hashFile(path);
  memo.set(path, { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, sha256 });
  return { path, kind: 'file', size: st.size, mtimeMs: st.mtimeMs, sha256 };
}

function folderIdentity(path: string, st: Stats): FileIdentity {
  const names = readdirSync(path).sort();
  return { path, kind: 'folder', size: names.length, mtimeMs: st.mtimeMs, sha256: createHash('sha256').update(JSON.stringify(names)).digest('hex') };
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
