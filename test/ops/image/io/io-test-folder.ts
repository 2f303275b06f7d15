/**
 * Test helper for files that read and write images: a temporary folder for the file's tests and,
 * by default, an image I/O pool of one thread (each itk-wasm module then loads once for the whole
 * file); after the file's tests the pool is reset and closed and the folder removed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { closeIoPool, configureIoPool } from '../../../../src/ops/image/io/io-pool.js';

/** Options of {@link ioTestFolder}. */
export interface IoTestFolderOptions {
  /** Start of the folder's name, under the OS temp folder (e.g. `'fuseflow-write-'`). */
  readonly prefix: string;
  /** Run the file's image I/O on one pool thread (at most 4 pending). Default true; false keeps the pool's defaults. */
  readonly oneIoThread?: boolean;
}

/**
 * Makes the folder now, registers the pool set-up and the clean-up hooks, and returns the folder.
 *
 * @example
 * const dir = ioTestFolder({ prefix: 'fuseflow-bad-' });
 */
export function ioTestFolder(options: IoTestFolderOptions): string {
  const dir = mkdtempSync(join(tmpdir(), options.prefix));
  const oneThread = options.oneIoThread ?? true;
  if (oneThread) beforeAll(() => configureIoPool({ threads: 1, maxPending: 4 }));
  afterAll(async () => {
    if (oneThread) await configureIoPool({});
    await closeIoPool();
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}
