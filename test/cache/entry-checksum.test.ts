import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import { CACHE_FILES, openCacheFolder, openSampleCache, payloadKeyOf } from '../../src/cache/index.js';
import { InputError } from '../../src/core/errors.js';
import { pipeline } from '../../src/ops/pipeline.js';
import { makeVolume, scale } from './test-ops.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function filledFolder(): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'ff-sum-'));
  dirs.push(root);
  const c = openSampleCache({ dir: root, pipeline: pipeline([makeVolume({ key: 'img' }), scale({ key: 'img', factor: 5 })], { name: 'static' }), audit: false });
  await c.fill(['a', 'd e', 'f'], { threads: 0 });
  await c.close();
  return c.folder;
}

/**
 * Rewrites the raw LMDB record of `id` in the `entries` database (whatever its encoding) with
 * `edit` — as a damaged disk or a stray tool would. The entry key is the SHA-256 of the id, which
 * the payload key starts with.
 */
async function editEntryRecord(folder: string, id: string, edit: (bytes: Buffer) => Buffer): Promise<void> {
  const env = open({ path: join(folder, CACHE_FILES.store), maxDbs: 4 });
  const entries = env.openDB<Buffer, string>({ name: 'entries', encoding: 'binary' });
  const key = payloadKeyOf(id, 0).split(':')[0] as string;
  const bytes = Buffer.from(entries.getBinary(key) as Buffer);
  await entries.put(key, edit(bytes));
  await env.close();
}

/** The metadata byte flipped: the output summary's copy of `data.sampleId` ('d e' → 'd f'), the last occurrence in the record. */
const flipSampleIdInMetadata = (bytes: Buffer): Buffer => {
  const at = bytes.lastIndexOf(Buffer.from('d e'));
  expect(at).toBeGreaterThan(0);
  bytes[at + 2] = 'f'.charCodeAt(0);
  return bytes;
};

describe('cache entry checksums (issue 9 item 11)', () => {
  it('one byte changed in an entry\'s metadata (not its payload): verify reports it, a read throws "checksum mismatch"', async () => {
    const folder = await filledFolder();
    await editEntryRecord(folder, 'd e', flipSampleIdInMetadata);
    const cache = await openCacheFolder(folder);
    try {
      const problems = await cache.verify();
      expect(problems.map((p) => [p.kind, p.initialId])).toEqual([['checksum-mismatch', 'd e']]);
      const err = await cache.get('d e').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toContain(folder);
      expect((err as Error).message).toContain("'d e'");
      expect((err as Error).message).toContain('checksum mismatch');
      expect(await cache.get('a')).toHaveLength(1); // the others still read
    } finally {
      await cache.close();
    }
  });

  it('one byte changed in a payload: verify reports a checksum mismatch and a read throws', async () => {
    const folder = await filledFolder();
    const env = open({ path: join(folder, CACHE_FILES.store), maxDbs: 4 });
    const payloads = env.openDB<Buffer, string>({ name: 'payloads', encoding: 'binary' });
    const key = payloadKeyOf('f', 0);
    const bytes = Buffer.from(payloads.getBinary(key) as Buffer);
    bytes[bytes.length - 3] = (bytes[bytes.length - 3] as number) ^ 0x01;
    await payloads.put(key, bytes);
    await env.close();
    const cache = await openCacheFolder(folder);
    try {
      expect((await cache.verify()).map((p) => [p.kind, p.initialId])).toEqual([['checksum-mismatch', 'f']]);
      await expect(cache.get('f')).rejects.toThrow(/'f': checksum mismatch/);
    } finally {
      await cache.close();
    }
  });

  it('an entry record that no longer parses: verify lists it, status and reads throw an InputError naming the folder (no decoder stack trace)', async () => {
    const folder = await filledFolder();
    await editEntryRecord(folder, 'a', (b) => {
      b[b.length - 1] = 0x00; // JSON's closing brace (or msgpack's last byte) damaged
      b[70] = 0xff;
      return b;
    });
    const cache = await openCacheFolder(folder);
    try {
      const problems = await cache.verify();
      expect(problems).toHaveLength(1);
      expect(problems[0]?.kind).toBe('damaged-entry');
      expect(() => cache.status()).toThrow(InputError);
      expect(() => cache.status()).toThrow(folder);
      await expect(cache.get('a')).rejects.toThrow(InputError);
      expect(await cache.get('f')).toHaveLength(1);
    } finally {
      await cache.close();
    }
  });
});
