import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempFolder } from '../temp-folder.js';
import { writePredictionFiles } from '../eval/shard/prediction-files.js';

/** The npm packages (`PKG`) or project modules (`SRC`, path under src/) `fuseflow ARGS` resolves, or its calls of Number's toLocaleString (`INTL`), from the listing hook. */
function packagesLoaded(args: readonly string[], kind: 'PKG' | 'SRC' | 'INTL' = 'PKG'): string[] {
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--import', './test/cli/fixtures/list-packages-hook.mjs', 'src/cli/main.ts', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(run.status).toBe(0);
  return run.stderr
    .split('\n')
    .filter((l) => l.startsWith(`${kind} `))
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

  it('a map step over Arrow files, by --id too, and eval merge load Arrow and nothing heavier: no LMDB (only a join, --id, imports it), vega, piscina, tfjs or itk', () => {
    // Before: every eval process loaded LMDB (~20 modules and a native addon, ~60 ms of a 0.3 s start) through the join's import.
    const heavy = (p: string): boolean => p === 'lmdb' || p.startsWith('vega') || p === 'piscina' || p.startsWith('@tensorflow') || p.startsWith('itk');
    const { dir } = tempFolder('fuseflow-eval-startup-');
    writePredictionFiles(dir, { files: 2, rows: 2_000, batchRows: 500, seed: 1, ids: true });
    const input = ['--input', `${dir}/*.arrow`, '--pred', 'pred', '--target', 'target', '--no-progress'];
    const map = packagesLoaded(['eval', ...input, '--shard', '0/2', '--state-out', join(dir, 's0.state')]);
    expect(map).toContain('apache-arrow');
    expect(map.filter(heavy)).toEqual([]);
    // A join (--id) imports LMDB at its first scan, as an id index may outgrow memory; nothing else heavy.
    expect(packagesLoaded(['eval', ...input, '--id', 'id', '--shard', '1/2', '--state-out', join(dir, 's1.state')]).filter(heavy)).toEqual(['lmdb']);
    // Nor ICU's number formatting (before: the shard's "N rows" line and progress lines called toLocaleString, 35–100 ms).
    const withProgress = input.filter((a) => a !== '--no-progress');
    expect(packagesLoaded(['eval', ...withProgress, '--shard', '0/2', '--state-out', join(dir, 's0.state')], 'INTL')).toEqual([]);
    expect(packagesLoaded(['eval', 'merge', '--help']).filter(heavy)).toEqual([]);
    expect(packagesLoaded(['eval', '--help']).filter(heavy)).toEqual([]);
  });

  it('eval loads the metrics its --metrics names can make, not every family the library exports (segmentation, survival, sequence)', () => {
    // Before: the CLI took its name → metric table from eval/metrics/index.ts, which re-exports every family (~25 more modules).
    const modules = packagesLoaded(['eval', '--help'], 'SRC');
    expect(modules).toContain('eval/metrics/auc.ts');
    expect(modules.filter((m) => /^eval\/(segmentation|survival|sequence)\//.test(m))).toEqual([]);
  });

  it('eval seg still loads what it needs', () => {
    expect(packagesLoaded(['eval', 'seg', '--help'])).toContain('vega');
  });
});
