/**
 * Deleting a cache folder safely: only the files its marker says the cache made are removed, then
 * the folder if nothing else is left in it. The working folder, the file-system root, the home
 * folder, symbolic links (dangling or not) and folders without a valid marker are refused.
 */
import { lstatSync, readdirSync, rmdirSync, unlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, parse, resolve } from 'node:path';
import { InputError } from '../core/errors.js';
import { MARKER_FILE, readMarker } from './cache-marker.js';

/** What {@link deleteCacheFolder} did. */
export interface DeleteReport {
  /** The folder, resolved. */
  readonly folder: string;
  /** Files removed (plain names). */
  readonly removed: readonly string[];
  /** True when the folder itself was removed (it was empty afterwards). */
  readonly folderRemoved: boolean;
  /** Names left in the folder (not made by the cache), when it was kept. */
  readonly kept: readonly string[];
}

/** Refuses what must never be deleted; returns the resolved folder. */
function checkTarget(dir: string): string {
  const folder = resolve(dir);
  const refuse = (why: string): InputError => new InputError(`refusing to delete: ${why}`, { file: dir });
  if (folder === parse(folder).root) throw refuse('it is the file-system root');
  if (folder === resolve(homedir())) throw refuse('it is your home folder');
  if (folder === process.cwd()) throw refuse('it is the working folder (name the cache folder itself, e.g. ROOT/KEY)');
  let st;
  try {
    st = lstatSync(folder);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'no such folder' : `cannot inspect (${code ?? String(err)})`, { file: dir });
  }
  if (st.isSymbolicLink()) throw refuse('it is a symbolic link (name the real cache folder)');
  if (!st.isDirectory()) throw refuse('it is not a folder');
  return folder;
}

/**
 * Removes the cache at `dir`: the files its marker lists (a listed name that is a folder is left
 * alone; links are removed, never followed), the marker last, then the folder when empty.
 * @example const r = deleteCacheFolder('/scratch/cache/3f9c…'); // r.folderRemoved === true
 * @throws {InputError} naming the folder or the marker: the root, home or working folder, a
 *   symbolic link, a missing folder, or no valid marker (an older cache: the message says how to
 *   delete it by hand).
 */
export function deleteCacheFolder(dir: string): DeleteReport {
  const folder = checkTarget(dir);
  const marker = readMarker(folder);
  const removed: string[] = [];
  for (const name of marker.files) {
    const path = join(folder, name);
    let st;
    try {
      st = lstatSync(path);
    } catch {
      continue; // never made (e.g. no manifest yet) or already gone
    }
    if (st.isDirectory()) continue;
    unlinkSync(path);
    removed.push(name);
  }
  unlinkSync(join(folder, MARKER_FILE));
  removed.push(MARKER_FILE);
  const kept = readdirSync(folder).sort();
  if (kept.length === 0) rmdirSync(folder);
  return { folder, removed, folderRemoved: kept.length === 0, kept };
}
