import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CACHE_FILES, openSampleCache, payloadKeyOf } from '../../src/cache/index.js';
import { run } from '../../src/cli/commands/cache.js';
import { pipeline } from '../../src/ops/pipeline.js';
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
    const env = open({ path: join(folder, CACHE_FILES.store), maxDbs: 4 });
    const payloads = env.openDB<Buffer, string>({ name: 'payloads', encoding: 'binary' });
    const key = payloadKeyOf('d e', 0);
    const bytes = Buffer.from(payloads.getBinary(key) as Buffer);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0xff;
    await payloads.put(key, bytes);
    await env.close();
    expect(await run(['verify', folder])).toBe(1);
    expect(out.some((l) => l.startsWith('checksum-mismatch') && l.includes('"d e"') && l.includes('checksum mismatch'))).toBe(true);
  });

  it('delete removes one cache folder only with --yes, and refuses a root', async () => {
    const { root, folder } = await filledCache();
    capture();
    expect(await run(['delete', folder])).toBe(2);
    expect(existsSync(folder)).toBe(true);
    await expect(run(['delete', root, '--yes'])).rejects.toThrow(/not a cache folder/);
    expect(await run(['delete', folder, '--yes'])).toBe(0);
    expect(existsSync(folder)).toBe(false);
    expect(await run(['frobnicate', root])).toBe(2);
  });
});
