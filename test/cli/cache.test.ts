import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CACHE_FILES, openSampleCache, payloadKeyOf } from '../../src/cache/index.js';
import { descriptionText, type CacheDescription } from '../../src/cache/cache-description.js';
import { run } from '../../src/cli/commands/cache.js';
import { InputError } from '../../src/core/errors.js';
import { pipeline } from '../../src/ops/pipeline.js';
import { editStoreRecord } from '../cache/edit-store-record.js';
import { drift, makeVolume, scale } from '../cache/test-ops.js';

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  drift.factor = 2;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function filledCache(): Promise<{ root: string; folder: string }> {
  const root = mkdtempSync(join(tmpdir(), 'ff-cli-'));
  dirs.push(root);
  const cache = openSampleCache({ dir: root, pipeline: pipeline([makeVolume({ key: 'img' }), scale({ key: 'img', factor: 5 })], { name: 'static' }), audit: false });
  await cache.fill(['a', 'b/../c', 'd e'], { threads: 0 });
  await cache.close();
  return { root, folder: cache.folder };
}

function capture(): string[] {
  const lines: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  return lines;
}

describe('fuseflow cache', () => {
  it('status lists each cache under a root', async () => {
    const { root, folder } = await filledCache();
    const out = capture();
    expect(await run(['status', root])).toBe(0);
    const text = out.join('\n');
    expect(text).toContain(folder);
    expect(text).toMatch(/entries\s+3 initial ids \(0 dropped\)/);
    expect(text).toContain('cacheTest.makeVolume@1 → cacheTest.scale@1');
  });

  it('verify passes a sound cache, finds a corrupt payload and, with --recompute, a stale op', async () => {
    const { folder } = await filledCache();
    const out = capture();
    expect(await run(['verify', folder])).toBe(0);
    drift.factor = 3;
    expect(await run(['verify', folder])).toBe(0); // payloads intact
    expect(await run(['verify', folder, '--recompute'])).toBe(1);
    expect(out.filter((l) => l.startsWith('stale'))).toHaveLength(3);
    expect(out.join('\n')).toContain("op 'cacheTest.scale'");
    drift.factor = 2;
    await editStoreRecord(folder, 'payloads', payloadKeyOf('d e', 0), (bytes) => {
      bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0xff;
      return bytes;
    });
    expect(await run(['verify', folder])).toBe(1);
    expect(out.some((l) => l.startsWith('checksum-mismatch') && l.includes('"d e"') && l.includes('checksum mismatch'))).toBe(true);
  });

  it('delete removes one cache folder only with --yes, and refuses a root', async () => {
    const { root, folder } = await filledCache();
    capture();
    expect(await run(['delete', folder])).toBe(2);
    expect(existsSync(folder)).toBe(true);
    await expect(run(['delete', root, '--yes'])).rejects.toThrow(/no cache marker/);
    expect(await run(['delete', folder, '--yes'])).toBe(0);
    expect(existsSync(folder)).toBe(false);
    expect(await run(['frobnicate', root])).toBe(2);
  });
});

/** Runs the real CLI in a child process (so `delete .` can run inside a cache folder, and no op module is preloaded). */
function cli(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): { code: number | null; stdout: string; stderr: string } {
  const main = resolve('src/cli/main.ts');
  const tsx = pathToFileURL(resolve('node_modules/tsx/dist/loader.mjs')).href; // resolvable from any working folder
  const r = spawnSync(process.execPath, ['--import', tsx, main, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    cwd: options.cwd ?? process.cwd(),
    env: options.env ?? process.env,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('fuseflow cache: nothing deleted or run that the user did not name (issue 9 items 4, 12, 14)', () => {
  it('delete X --yes on a folder that merely holds pipeline.json and cache.mdb refuses and keeps thesis.tex', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ff-cli-'));
    dirs.push(dir);
    for (const f of [CACHE_FILES.pipeline, CACHE_FILES.store, 'thesis.tex']) writeFileSync(join(dir, f), 'mine');
    capture();
    await expect(run(['delete', dir, '--yes'])).rejects.toThrow(InputError);
    expect(readdirSync(dir).sort()).toEqual([CACHE_FILES.store, CACHE_FILES.pipeline, 'thesis.tex'].sort());
  });

  it('delete . inside a cache folder, and delete of a dangling link, print one clean line and exit 1', async () => {
    const { root, folder } = await filledCache();
    const dot = cli(['cache', 'delete', '.', '--yes'], { cwd: folder });
    expect(dot.code).toBe(1);
    expect(dot.stderr.trim().split('\n')).toHaveLength(1);
    expect(dot.stderr).toMatch(/refusing to delete: it is the working folder/);
    expect(existsSync(join(folder, CACHE_FILES.store))).toBe(true);
    symlinkSync(join(root, 'gone'), join(root, 'dangling'));
    const dangling = cli(['cache', 'status', join(root, 'dangling')]);
    expect(dangling.code).toBe(1);
    expect(dangling.stderr.trim().split('\n')).toHaveLength(1);
    expect(dangling.stderr).toContain('dangling');
  });

  it('a damaged pipeline.json is an InputError naming it', async () => {
    const { folder } = await filledCache();
    const file = join(folder, CACHE_FILES.pipeline);
    writeFileSync(file, readFileSync(file, 'utf8').slice(0, 40));
    capture();
    await expect(run(['status', folder])).rejects.toThrow(InputError);
    await expect(run(['verify', folder])).rejects.toThrow(file);
  });

  it('verify --recompute never imports a module pipeline.json names; user ops come from --ops-module', async () => {
    const { folder } = await filledCache();
    const dir = mkdtempSync(join(tmpdir(), 'ff-cli-evil-'));
    dirs.push(dir);
    const sentinel = join(dir, 'ran');
    const evil = join(dir, 'evil.mjs');
    writeFileSync(evil, `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(sentinel)}, 'code from a cache folder ran');\n`);
    const file = join(folder, CACHE_FILES.pipeline);
    // A folder prepared elsewhere: its pipeline.json names a module (with a matching digest: the
    // digest guards against damage, not against someone who writes the file on purpose).
    const { sha256: _old, ...desc } = JSON.parse(readFileSync(file, 'utf8')) as CacheDescription & { sha256: string };
    writeFileSync(file, descriptionText({ ...desc, spec: { ...desc.spec, ops: desc.spec.ops.map((op) => ({ ...op, module: evil })) } }));

    const refused = cli(['cache', 'verify', folder, '--recompute']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/user ops \(cacheTest\.makeVolume, cacheTest\.scale\).*--ops-module FILE/);
    expect(existsSync(sentinel)).toBe(false);

    const ok = cli(['cache', 'verify', folder, '--recompute', '--ops-module', resolve('test/cache/test-ops.ts')]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/3 entries checked \(recomputed\), 0 problem/);
    expect(existsSync(sentinel)).toBe(false);

    const plain = cli(['cache', 'verify', folder]); // no recompute: no ops needed
    expect(plain.code).toBe(0);
    expect(existsSync(sentinel)).toBe(false);
  });
});
