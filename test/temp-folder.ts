/**
 * Test helper: one temporary folder for a test file, removed after all of its tests, and a writer
 * of the files the tests read from it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** The folder and its file writer. */
export interface TempFolder {
  /** The folder's path. */
  readonly dir: string;
  /** Writes `contents` to `name` in the folder (replacing it) and returns the file's path. */
  readonly write: (name: string, contents: string | Uint8Array) => string;
}

/**
 * Makes the folder now (`prefix` + random, under the OS temp folder) and registers its removal.
 *
 * @example
 * const { write } = tempFolder('fuseflow-csv-test-');
 * const csv = write('a.csv', 'id,p\na,0.5\n');
 */
export function tempFolder(prefix: string): TempFolder {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    write: (name, contents) => {
      const path = join(dir, name);
      writeFileSync(path, contents);
      return path;
    },
  };
}
