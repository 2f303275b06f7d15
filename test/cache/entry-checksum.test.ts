import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { descriptionText, parseDescription } from '../../src/cache/cache-description.js';
import { CACHE_FILES, openCacheFolder, openSampleCache, payloadKeyOf } from '../../src/cache/index.js';
import { Rng } from '../../src/core/rng.js';
import { InputError } from '../../src/core/errors.js';
import { pipeline } from '../../src/ops/pipeline.js';
import { editStoreRecord, flipBit } from './edit-store-record.js';
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
  await editStoreRecord(folder, 'entries', payloadKeyOf(id, 0).split(':')[0] as string, edit);
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
    await editStoreRecord(folder, 'payloads', payloadKeyOf('f', 0), (bytes) => flipBit(bytes, (bytes.length - 3) * 8));
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

  it('a flipped bit at any of 24 seeded positions of a payload (header and voxels) or of the metadata: every read throws "checksum mismatch"', async () => {
    const folder = await filledFolder();
    const key = payloadKeyOf('f', 0);
    const entryKey = key.split(':')[0] as string;
    const rng = Rng.fromParts(['entry-checksum', 'bit-flips']);
    const edit = async (db: 'payloads' | 'entries', k: string, bit: number | undefined): Promise<number> => {
      let bits = 0;
      await editStoreRecord(folder, db, k, (bytes) => {
        bits = bytes.length * 8;
        return bit === undefined ? bytes : flipBit(bytes, bit);
      });
      return bits;
    };
    const payloadBits = await edit('payloads', key, undefined);
    const entryBits = await edit('entries', entryKey, undefined);
    for (let i = 0; i < 24; i++) {
      // Half in the payload (its JSON header and its voxel bytes alike), half in the entry's metadata JSON (after the checksum line).
      const [db, k, bit] = i % 2 === 0 ? (['payloads', key, rng.int(0, payloadBits - 1)] as const) : (['entries', entryKey, rng.int(65 * 8, entryBits - 1)] as const);
      await edit(db, k, bit);
      const cache = await openCacheFolder(folder);
      try {
        // A flip that breaks the record's JSON or shape is "damaged"; every other one is a checksum mismatch. Never a value.
        await expect(cache.get('f'), `${db} bit ${bit}`).rejects.toThrow(/'f': checksum mismatch|cache entry .* is damaged/);
      } finally {
        await cache.close();
      }
      await edit(db, k, bit); // undo
    }
    const cache = await openCacheFolder(folder);
    try {
      expect(await cache.verify()).toEqual([]);
    } finally {
      await cache.close();
    }
  });

  it('a cache of the previous format (2: CRC-32 payload checks) is refused with the format message, not misread', async () => {
    const folder = await filledFolder();
    const file = join(folder, CACHE_FILES.pipeline);
    const desc = parseDescription(readFileSync(file, 'utf8'), file);
    writeFileSync(file, descriptionText({ ...desc, format: 2 }));
    await expect(openCacheFolder(folder)).rejects.toThrow(/cache format 2, this fuseflow reads format 3; rebuild the cache/);
  });
});
