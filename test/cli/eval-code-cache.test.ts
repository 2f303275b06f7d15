/**
 * The code-cached start of `fuseflow eval` (dist/eval-bundle/eval-start.cjs, src/cli/bundle/eval-start.ts)
 * in a package copy: the first start writes the cache, the next use it; a run prints and writes
 * byte for byte what the ES bundle's start and the module-by-module start do (map, merge, 1 and 2
 * threads, an HTML report). A damaged, truncated, refused (V8) or stale cache, or one that cannot
 * be written, never breaks a start: it is ignored and written anew. Starts at once all succeed and
 * leave one whole cache, no temporary.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempFolder } from '../temp-folder.js';
import { writePredictionFiles } from '../eval/shard/prediction-files.js';
import { buildBundledPackage, runBin, type BinRun } from './bundled-package.js';

const { dir } = tempFolder('fuseflow-eval-code-cache-');
const pkg = join(dir, 'pkg');
const data = join(dir, 'data');
const bundleDir = join(pkg, 'dist', 'eval-bundle');
const DEBUG = { FUSEFLOW_DEBUG_START: '1' };
const input = (): string[] => ['--input', `${data}/*.arrow`, '--pred', 'pred', '--target', 'target', '--no-progress'];

/** The cache files in the bundle folder (and any temporary of theirs). */
const cacheFiles = (): string[] => readdirSync(bundleDir).filter((f) => f.includes('.v8cache'));

/** Runs `fuseflow eval ARGV` through the copy with the start said on stderr; checks it exited 0. */
function evalRun(argv: readonly string[], env: Readonly<Record<string, string>> = DEBUG): BinRun {
  const r = runBin(pkg, ['eval', ...argv], env);
  expect(r.err).not.toContain('script not used');
  expect(r.code).toBe(0);
  return r;
}

/** The one cache file's path (after a start wrote it). */
function theCache(): string {
  const files = cacheFiles();
  expect(files).toHaveLength(1);
  return join(bundleDir, files[0] as string);
}

beforeAll(() => {
  mkdirSync(pkg, { recursive: true });
  mkdirSync(data, { recursive: true });
  buildBundledPackage(pkg);
  writePredictionFiles(data, { files: 3, rows: 30_000, batchRows: 2_500, seed: 7, ids: true });
}, 120_000);

describe('fuseflow eval: code-cached start', () => {
  it('writes its cache once, then uses it; map, merge and report equal the ES bundle and module-by-module starts', () => {
    expect(cacheFiles()).toEqual([]);
    expect(evalRun(['--help']).err).toContain('fuseflow: eval start: bundle (script, code cache written: no cache yet)');
    theCache();
    expect(evalRun(['--help']).err).toContain('fuseflow: eval start: bundle (script, code cache used)');
    for (const threads of ['1', '2']) {
      const args = [...input(), '--threads', threads, '--json'];
      const cached = evalRun(args).out;
      expect(JSON.parse(cached)).toHaveProperty('metrics.auc');
      expect(evalRun(args, { ...DEBUG, FUSEFLOW_EVAL_CODE_CACHE: '0' }).out).toBe(cached);
      expect(evalRun(args, { ...DEBUG, FUSEFLOW_EVAL_BUNDLE: '0' }).out).toBe(cached);
      const states: Record<string, string[]> = { script: [], modules: [] };
      for (const [start, env] of [
        ['script', DEBUG],
        ['modules', { ...DEBUG, FUSEFLOW_EVAL_BUNDLE: '0' }],
      ] as const) {
        for (let i = 0; i < 2; i++) {
          const file = join(dir, `${start}-t${threads}-${i}.state`);
          evalRun([...input(), '--threads', threads, '--shard', `${i}/2`, '--state-out', file, '--overwrite'], env);
          states[start]?.push(file);
        }
      }
      for (let i = 0; i < 2; i++) expect(readFileSync(states.script?.[i] as string).equals(readFileSync(states.modules?.[i] as string))).toBe(true);
      expect(evalRun(['merge', ...(states.script ?? []), '--json', '--threads', threads, '--no-progress']).out).toBe(cached);
    }
    // The report renders (vega, an ES module only, is imported from dist/ when a run asks for it).
    const report = join(dir, 'report.html');
    evalRun([...input(), '--report', report, '--overwrite']);
    expect(readFileSync(report, 'utf8')).toContain('<html');
  }, 180_000);

  it('a damaged, truncated, V8-refused or stale cache, or none that can be written, is ignored and (where it can be) written anew', () => {
    const args = [...input(), '--json'];
    const expected = evalRun(args).out;
    const file = theCache();
    const good = readFileSync(file);
    const cases: [string, () => void, string][] = [
      [
        'a byte flipped in the middle',
        () => {
          const bad = Buffer.from(good);
          bad[bad.length >> 1] = (bad[bad.length >> 1] as number) ^ 0xff;
          writeFileSync(file, bad);
        },
        'cache damaged (digest mismatch)',
      ],
      ['cut short', () => writeFileSync(file, good.subarray(0, 20)), 'cache truncated'],
      [
        "V8's bytes cut in half, the digest made to match",
        () => {
          const v8 = good.subarray(32, 32 + ((good.length - 32) >> 1));
          writeFileSync(file, Buffer.concat([createHash('sha256').update(v8).digest(), v8]));
        },
        'cache rejected by V8',
      ],
      [
        'random bytes with a matching digest',
        () => {
          const junk = createHash('sha512').update('junk').digest();
          writeFileSync(file, Buffer.concat([createHash('sha256').update(junk).digest(), junk]));
        },
        'cache rejected by V8',
      ],
    ];
    for (const [what, damage, why] of cases) {
      damage();
      const r = evalRun(args);
      expect(r.err, what).toContain(`code cache written: ${why}`);
      expect(r.out, what).toBe(expected);
      expect(evalRun(['--help']).err, what).toContain('code cache used');
    }
    // A changed script (stale cache): its cache is another file; the old one is not used.
    const script = join(bundleDir, 'eval-start.cjs');
    const original = readFileSync(script);
    appendFileSync(script, '\n// changed\n');
    const stale = evalRun(args);
    expect(stale.err).toContain('code cache written: no cache yet');
    expect(stale.out).toBe(expected);
    expect(cacheFiles()).toHaveLength(2);
    writeFileSync(script, original);
    rmSync(file);
    for (const f of cacheFiles()) rmSync(join(bundleDir, f));
    // A cache that cannot be written (a folder where the file would go): the start runs all the same.
    evalRun(['--help']);
    const target = theCache();
    rmSync(target);
    mkdirSync(target);
    const blocked = evalRun(args);
    expect(blocked.err).toContain('code cache unwritable');
    expect(blocked.out).toBe(expected);
    rmSync(target, { recursive: true });
  }, 180_000);

  it('starts at once without a cache all succeed and leave one whole cache, no temporary', async () => {
    for (const f of cacheFiles()) rmSync(join(bundleDir, f), { recursive: true });
    const args = ['eval', ...input(), '--json'];
    const runs = await Promise.all(
      Array.from(
        { length: 6 },
        () =>
          new Promise<{ code: number | null; out: string }>((resolve) => {
            const child = spawn(process.execPath, [join(pkg, 'bin', 'fuseflow.js'), ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
            let out = '';
            child.stdout.on('data', (d: Buffer) => (out += d.toString()));
            child.on('close', (code) => resolve({ code, out }));
          }),
      ),
    );
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(new Set(runs.map((r) => r.out)).size).toBe(1);
    theCache();
    expect(existsSync(theCache())).toBe(true);
    expect(evalRun(['--help']).err).toContain('code cache used');
  }, 120_000);
});
