import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { workerEntry } from '../../src/core/workers.js';

describe('workerEntry', () => {
  it('names tsx by an absolute URL, so a TypeScript worker starts whatever the working folder', () => {
    const entry = workerEntry(new URL('./fixtures/pool-from-elsewhere.ts', import.meta.url).href, './double-worker');
    expect(entry.fromSources).toBe(true);
    expect(entry.execArgv[1]).toMatch(/^file:\/\//);
    // The bug: `--import tsx` resolved tsx from the working folder, so `cache fill --threads 1` run from
    // a folder outside the repository failed with "Cannot find package 'tsx'".
    const script = fileURLToPath(new URL('./fixtures/pool-from-elsewhere.ts', import.meta.url));
    const run = spawnSync(process.execPath, ['--import', entry.execArgv[1] ?? '', script], { cwd: tmpdir(), encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('42');
  });
});
