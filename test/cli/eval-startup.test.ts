import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** The npm packages `fuseflow ARGS` resolves, from the listing hook. */
function packagesLoaded(args: readonly string[]): string[] {
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--import', './test/cli/fixtures/list-packages-hook.mjs', 'src/cli/main.ts', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(run.status).toBe(0);
  return run.stderr
    .split('\n')
    .filter((l) => l.startsWith('PKG '))
    .map((l) => l.slice(4));
}

describe('fuseflow eval start-up (every shard of a map/merge run pays it)', () => {
  it('does not load the report renderer (vega) or the worker pools unless asked for', () => {
    // Before: eval loaded vega, vega-lite and ~30 vega packages and piscina at every start
    // (0.62 s of a compiled `eval --help`; 0.34 s after).
    const loaded = packagesLoaded(['eval', '--help']);
    expect(loaded).toContain('apache-arrow');
    expect(loaded.filter((p) => p.startsWith('vega') || p === 'piscina')).toEqual([]);
  });

  it('eval seg still loads what it needs', () => {
    expect(packagesLoaded(['eval', 'seg', '--help'])).toContain('vega');
  });
});
