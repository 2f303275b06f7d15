/**
 * The cache marker, `.fuseflow-cache.json`: written (atomically) when a cache folder is created,
 * it lists the files the cache itself makes there. `fuseflow cache delete` removes exactly those
 * files and nothing else, so a folder that merely holds files with the same names (or a cache
 * folder someone put other files in) never loses what it did not get from fuseflow.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../core/errors.js';
import { writeFileAtomic } from '../core/safe-fs.js';

/** File name of the marker inside a cache folder. */
export const MARKER_FILE = '.fuseflow-cache.json';

/** The files a cache makes in its folder (LMDB's lock file included); the marker lists them. */
export const CACHE_MADE_FILES = ['pipeline.json', 'cache.mdb', 'cache.mdb-lock', 'manifest.arrow', 'manifest.arrow.sha256'] as const;

/** What the marker records. */
export interface CacheMarker {
  /** Always `'fuseflow-cache'`. */
  readonly kind: 'fuseflow-cache';
  /** Cache key of the folder. */
  readonly key: string;
  /** Plain file names (no folders) the cache created in the folder, the marker excluded. */
  readonly files: readonly string[];
}

/**
 * Writes the marker of a new cache folder (refusing to replace one: a folder is marked once).
 * @throws {OutputError} naming the marker when it cannot be written.
 */
export function writeMarker(folder: string, key: string): void {
  const marker: CacheMarker = { kind: 'fuseflow-cache', key, files: [...CACHE_MADE_FILES] };
  writeFileAtomic(join(folder, MARKER_FILE), `${JSON.stringify(marker, null, 2)}\n`);
}

/** A plain file name: no separators, not `.`/`..`, not empty. */
const isPlainName = (n: unknown): n is string => typeof n === 'string' && n !== '' && n !== '.' && n !== '..' && !/[/\\\0]/.test(n);

/**
 * Reads and checks the marker of `folder`.
 * @throws {InputError} naming the marker when it is absent (with how to delete an older cache by
 *   hand), unreadable, or not a marker (a bad kind, a file name with a folder in it).
 */
export function readMarker(folder: string): CacheMarker {
  const file = join(folder, MARKER_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new InputError(
        `missing: ${folder} has no cache marker, so fuseflow does not know which files there are its own and deletes nothing. ` +
          `A cache made before markers existed holds ${CACHE_MADE_FILES.join(', ')}; check the folder and delete those by hand (rm) if it is a cache`,
        { file },
      );
    }
    throw new InputError(`cannot read the cache marker (${code ?? String(err)})`, { file });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new InputError('the cache marker is not valid JSON (damaged); nothing is deleted', { file });
  }
  const m = raw as Partial<Record<keyof CacheMarker, unknown>> | null;
  if (typeof m !== 'object' || m === null || m.kind !== 'fuseflow-cache' || typeof m.key !== 'string' || !Array.isArray(m.files) || !m.files.every(isPlainName)) {
    throw new InputError("not a fuseflow cache marker (expected kind 'fuseflow-cache', a key and a list of plain file names); nothing is deleted", { file });
  }
  return { kind: 'fuseflow-cache', key: m.key, files: m.files };
}
