/**
 * Test helper: reads cache folders in a child process (test/cache/read-child.ts), so that a crash
 * of native code on a damaged folder is seen from outside instead of taking the runner down.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { expect } from 'vitest';
import type { ReadOutcome } from './read-child.js';

/** Options of {@link readInChild}. */
export interface ReadInChildOptions {
  /** Ids read from every folder. */
  readonly ids: readonly string[];
  /** How long the child may run, in ms. Default 60 000. */
  readonly timeoutMs?: number;
}

/**
 * Reads every folder in one child process; expects the child to end by itself with exit 0 (a
 * signal is a crash) and returns one outcome per folder, in order.
 */
export function readInChild(folders: readonly string[], options: ReadInChildOptions): ReadOutcome[] {
  const child = spawnSync(process.execPath, ['--import', 'tsx', resolve('test/cache/read-child.ts'), JSON.stringify(options.ids), ...folders], {
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 60_000,
    maxBuffer: 64 << 20,
  });
  expect(child.signal, `a damaged cache crashed the reader (SIGSEGV / SIGBUS): ${child.stderr}`).toBeNull();
  expect(child.status, child.stderr).toBe(0);
  return child.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as ReadOutcome);
}
