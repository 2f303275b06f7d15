/**
 * The run folder a training run writes into: created on demand, and protected — a folder that
 * already holds a run's files is not reused unless the caller resumes it or explicitly
 * overwrites it, and overwriting removes only the files a run writes, never anything else.
 */
import { lstatSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { OutputError, outputErrorOf } from '../core/safe-fs.js';

/**
 * Creates `dir` (and its parents) if absent.
 * @throws {OutputError} naming the folder: a file of that name exists, a part of the path is a
 *   file, the file system is read-only or full, permission denied.
 */
export function makeRunFolder(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new OutputError(dir, 'cannot create the run folder: a file of that name exists (choose another folder)', { cause: err });
    throw outputErrorOf(dir, err, 'cannot create the run folder');
  }
}

/** Which of `files` (names inside `dir`) exist, links included. */
export function runFilesIn(dir: string, files: readonly string[]): string[] {
  return files.filter((f) => {
    try {
      lstatSync(join(dir, f));
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Removes those of `files` that exist in `dir` (a link is removed, not its target); nothing else.
 * @throws {OutputError} naming the file that could not be removed (a folder of that name, permissions).
 */
export function removeRunFiles(dir: string, files: readonly string[]): void {
  for (const f of runFilesIn(dir, files)) {
    const path = join(dir, f);
    try {
      rmSync(path);
    } catch (err) {
      throw outputErrorOf(path, err, 'cannot remove (for --overwrite)');
    }
  }
}
