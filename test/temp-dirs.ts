/**
 * Test helper: temporary folders for one test file, made on demand and removed after each test
 * or after all of the file's tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach } from 'vitest';

/** Options of {@link tempDirs}. */
export interface TempDirsOptions {
  /** Start of each folder's name, under the OS temp folder (e.g. `'ff-cache-'`). */
  readonly prefix: string;
  /** When the folders made so far are removed: after each test or after all of them. Default `'each'`. */
  readonly removeAfter?: 'each' | 'all';
  /** Runs just before the folders are removed (e.g. closes what holds files open in them). Default none. */
  readonly beforeRemove?: () => Promise<void> | void;
}

/**
 * Registers the removal hook and returns a maker of fresh temporary folders.
 *
 * @example
 * const tmp = tempDirs({ prefix: 'ff-fit-', removeAfter: 'all' });
 * it('writes a run', () => { const dir = tmp(); … });
 */
export function tempDirs(options: TempDirsOptions): () => string {
  const dirs: string[] = [];
  const remove = async (): Promise<void> => {
    await options.beforeRemove?.();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  };
  if (options.removeAfter === 'all') afterAll(remove);
  else afterEach(remove);
  return () => {
    const d = mkdtempSync(join(tmpdir(), options.prefix));
    dirs.push(d);
    return d;
  };
}
