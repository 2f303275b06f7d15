/**
 * The bundled start of `fuseflow eval` (dist/eval-bundle/, src/cli/bundle/): a package copy with
 * its bundle built runs one process, a map (2 shards, state files) and a merge, with 1 and 2
 * threads, and prints byte for byte what the module-by-module start prints, writing the same
 * state files; errors read the same. A bundle that is not current — built by another Node, a
 * changed module, no manifest — is not used (the run starts module by module, same output); a
 * rebuilt module with the same content keeps it. The bundled start loads fewer than 20 files
 * (its code-cached script, eval-code-cache.test.ts, one of them).
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempFolder } from '../temp-folder.js';
import { writePredictionFiles } from '../eval/shard/prediction-files.js';
import { buildBundledPackage, runBin, type BinRun } from './bundled-package.js';

const { dir } = tempFolder('fuseflow-eval-bundle-');
const pkg = join(dir, 'pkg');
const data = join(dir, 'data');
const BUNDLE = { FUSEFLOW_DEBUG_START: '1' };
const MODULES = { FUSEFLOW_DEBUG_START: '1', FUSEFLOW_EVAL_BUNDLE: '0' };
const input = (): string[] => ['--input', `${data}/*.arrow`, '--pred', 'pred', '--target', 'target', '--no-progress'];

/** Runs `fuseflow eval ARGV` through the copy; checks the start it took. */
function evalRun(argv: readonly string[], env: Readonly<Record<string, string>>, start: 'bundle' | 'modules'): BinRun {
  const r = runBin(pkg, ['eval', ...argv], env);
  expect(r.err).toContain(`fuseflow: eval start: ${start}`);
  return r;
}

beforeAll(() => {
  mkdirSync(pkg, { recursive: true });
  mkdirSync(data, { recursive: true });
  buildBundledPackage(pkg);
  // Over 16,384 rows: AUC and AP take a refinement pass; 3 files of 4 record batches.
  writePredictionFiles(data, { files: 3, rows: 30_000, batchRows: 2_500, seed: 21, ids: true });
}, 120_000);

describe('fuseflow eval from the bundle', () => {
  it('one process, 2 shards + merge, --threads 1 and 2: the same JSON and state files as the module-by-module start', () => {
    for (const threads of ['1', '2']) {
      const args = [...input(), '--threads', threads];
      const one = evalRun([...args, '--json'], BUNDLE, 'bundle');
      expect(one.code).toBe(0);
      expect(evalRun([...args, '--json'], MODULES, 'modules').out).toBe(one.out);
      expect(JSON.parse(one.out)).toHaveProperty('metrics.auc');
      const states = { bundle: [] as string[], modules: [] as string[] };
      for (const [start, env] of [
        ['bundle', BUNDLE],
        ['modules', MODULES],
      ] as const) {
        for (let i = 0; i < 2; i++) {
          const file = join(dir, `${start}-t${threads}-${i}.state`);
          const r = evalRun([...args, '--shard', `${i}/2`, '--state-out', file, '--overwrite'], env, start);
          expect(r.code).toBe(0);
          states[start].push(file);
        }
      }
      for (let i = 0; i < 2; i++) expect(readFileSync(states.bundle[i] as string).equals(readFileSync(states.modules[i] as string))).toBe(true);
      const merged = evalRun(['merge', ...states.bundle, '--json', '--threads', threads, '--no-progress'], BUNDLE, 'bundle');
      expect(merged.code).toBe(0);
      expect(merged.out).toBe(one.out);
      expect(evalRun(['merge', ...states.modules, '--json', '--threads', threads, '--no-progress'], MODULES, 'modules').out).toBe(one.out);
    }
  }, 120_000);

  it('--id with row-resampled CIs, the table output and a bad input print the same from both starts', () => {
    const ci = [...input(), '--id', 'id', '--ci', '50', '--seed', '3'];
    const a = evalRun(ci, BUNDLE, 'bundle');
    expect(a.code).toBe(0);
    expect(evalRun(ci, MODULES, 'modules').out).toBe(a.out);
    const missing = ['--input', join(dir, 'none.arrow'), '--pred', 'pred', '--target', 'target'];
    const bad = evalRun(missing, BUNDLE, 'bundle');
    const badModules = evalRun(missing, MODULES, 'modules');
    expect(bad.code).toBe(1);
    expect(badModules.code).toBe(1);
    const message = (r: BinRun): string[] => r.err.split('\n').filter((l) => l.startsWith('fuseflow eval'));
    expect(message(bad)).toEqual(message(badModules));
    expect(message(bad).join('\n')).toContain('none.arrow');
  }, 120_000);

  it('a bundle that is not current is not used: another Node, a changed module, no manifest; the same content rebuilt keeps it', () => {
    const args = [...input(), '--json'];
    const expected = evalRun(args, BUNDLE, 'bundle').out;
    const manifestPath = join(pkg, 'dist', 'eval-bundle', 'manifest.json');
    const manifest = readFileSync(manifestPath, 'utf8');
    // Built by another Node.
    writeFileSync(manifestPath, manifest.replace(`"node":"${process.version}"`, '"node":"v0.0.1"'));
    const otherNode = evalRun(args, BUNDLE, 'modules');
    expect(otherNode.err).toContain('built by node v0.0.1');
    expect(otherNode.out).toBe(expected);
    writeFileSync(manifestPath, manifest);
    // A module rewritten with the same content (a rebuild): its time moved, its hash did not.
    const module = join(pkg, 'dist', 'eval', 'shard', 'state-file.js');
    const later = new Date(Date.now() + 60_000);
    utimesSync(module, later, later);
    expect(evalRun(args, BUNDLE, 'bundle').out).toBe(expected);
    // A changed module: its code is not the bundle's any more.
    const original = readFileSync(module);
    appendFileSync(module, '\n// changed\n');
    expect(evalRun(args, BUNDLE, 'modules').err).toContain('dist/eval/shard/state-file.js changed');
    writeFileSync(module, original);
    // The same size, other content.
    const text = original.toString('utf8');
    writeFileSync(module, text.replace('/**', '/*!'));
    expect(evalRun(args, BUNDLE, 'modules').err).toContain('dist/eval/shard/state-file.js changed (content)');
    writeFileSync(module, original);
    expect(evalRun(args, BUNDLE, 'bundle').out).toBe(expected);
    // No manifest (or no bundle at all).
    rmSync(manifestPath);
    const none = evalRun(args, BUNDLE, 'modules');
    expect(none.err).toContain('no readable manifest');
    expect(none.out).toBe(expected);
    writeFileSync(manifestPath, manifest);
  }, 120_000);

  it('the bundled start loads a handful of files, no package module one by one (module by module: ~270)', () => {
    // Each file: URL the process resolves, printed by a loader hook (`MOD url`).
    const resolveHook = join(dir, 'list-modules-resolve.mjs');
    writeFileSync(
      resolveHook,
      'export async function resolve(s, c, next) { const r = await next(s, c); if (r.url.startsWith("file:")) process.stderr.write("MOD " + r.url + "\\n"); return r; }\n',
    );
    const hook = join(dir, 'list-modules.mjs');
    writeFileSync(hook, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(resolveHook).href)});\n`);
    const loaded = (argv: readonly string[], env: Readonly<Record<string, string>>): string[] => {
      const run = spawnSync(process.execPath, ['--import', hook, join(pkg, 'bin', 'fuseflow.js'), ...argv], { encoding: 'utf8', env: { ...process.env, ...env } });
      expect(run.status).toBe(0);
      return [...new Set(run.stderr.split('\n').filter((l) => l.startsWith('MOD ')))].map((l) => l.slice('MOD file://'.length));
    };
    const map = ['eval', ...input(), '--shard', '0/2', '--state-out', join(dir, 'startup.state'), '--overwrite'];
    for (const argv of [['eval', '--help'], map, ['eval', 'merge', '--help']]) {
      const bundled = loaded(argv, {});
      expect(bundled.filter((f) => f.includes('/node_modules/'))).toEqual([]);
      // The start itself: bin, the bundle's check, the code-cached script's loader and the safe writer of its cache.
      const starter = ['/bin/fuseflow.js', '/dist/cli/bundle/eval-bundle.js', '/dist/cli/bundle/eval-start.js', '/dist/core/safe-fs.js', '/dist/core/errors.js'];
      expect(bundled.filter((f) => !f.includes('/dist/eval-bundle/') && !starter.some((s) => f.endsWith(s)))).toEqual([]);
      expect(bundled.length).toBeLessThan(20);
    }
    expect(loaded(['eval', '--help'], { FUSEFLOW_EVAL_BUNDLE: '0' }).length).toBeGreaterThan(150);
  });

  it('other commands and eval seg start module by module', () => {
    expect(runBin(pkg, ['eval', 'seg', '--help'], BUNDLE).err).not.toContain('eval start: bundle');
    const help = runBin(pkg, ['--help'], BUNDLE);
    expect(help.code).toBe(0);
    expect(help.out).toContain('commands:');
  });
});
