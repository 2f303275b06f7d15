import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CACHE_FILES, checkLmdbFile, openSampleCache } from '../../src/cache/index.js';
import { InputError } from '../../src/core/errors.js';
import { pipeline } from '../../src/ops/pipeline.js';
import { readInChild } from './read-in-child.js';
import { makeVolume } from './test-ops.js';

const IDS = ['a', 'b', 'c'];
let root: string;
let folder: string;
let good: Buffer;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'ff-lmdb-'));
  const c = openSampleCache({ dir: join(root, 'src'), pipeline: pipeline([makeVolume({ key: 'img', size: 24 })], { name: 'static' }), audit: false });
  await c.fill(IDS, { threads: 0 });
  await c.close();
  folder = c.folder;
  good = readFileSync(join(folder, CACHE_FILES.store));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Offsets (from LMDB's mdb.c): page header 24 bytes, then MDB_meta: magic +0, version +4, page size +24, main root +112, last page +120. */
const META = 24;
const psize = (): number => good.readUInt32LE(META + 24);

/** Damaged copies of cache.mdb: what a wrong file or a bad disk gives. */
function damaged(): Record<string, Buffer> {
  const flip = (at: number, mask = 0xff): Buffer => {
    const b = Buffer.from(good);
    b[at] = (b[at] as number) ^ mask;
    return b;
  };
  return {
    'a text file': Buffer.from('not a database\n'.repeat(500)),
    'an empty file': Buffer.alloc(0),
    zeros: Buffer.alloc(good.length),
    'cut after one page': good.subarray(0, psize()),
    'cut after two pages': good.subarray(0, 2 * psize()),
    'cut mid-file': good.subarray(0, good.length - psize()),
    'magic of meta page 0': flip(META),
    'page size of meta page 0': flip(META + 25, 0x5a),
    'main root of meta page 0': flip(META + 113, 0x40),
    'meta flag of page 1': flip(psize() + 18, 0x08),
    'version of meta page 1': flip(psize() + META + 4, 0x01),
    'last page of meta page 1': flip(psize() + META + 121, 0x10),
  };
}

describe('LMDB file check before mapping (issue 9 item 14)', () => {
  it('passes a sound file and refuses each damaged copy with an InputError naming it', () => {
    const dir = mkdtempSync(join(root, 'unit-'));
    const file = join(dir, 'cache.mdb');
    writeFileSync(file, good);
    expect(() => checkLmdbFile(file)).not.toThrow();
    for (const [what, bytes] of Object.entries(damaged())) {
      writeFileSync(file, bytes);
      let err: unknown;
      try {
        checkLmdbFile(file);
      } catch (e) {
        err = e;
      }
      expect(err, what).toBeInstanceOf(InputError);
      expect((err as Error).message, what).toContain(file);
    }
  });

  it('opening and reading the damaged caches never crashes the process (child process: exit 0, one clean error per folder)', () => {
    const cases = Object.entries(damaged());
    const folders = cases.map(([, bytes], i) => {
      const f = join(root, `case-${i}`);
      cpSync(folder, f, { recursive: true });
      rmSync(join(f, `${CACHE_FILES.store}-lock`), { force: true });
      writeFileSync(join(f, CACHE_FILES.store), bytes);
      return f;
    });
    const outcomes = readInChild(folders, { ids: IDS });
    expect(outcomes).toHaveLength(cases.length);
    outcomes.forEach((o, i) => {
      const what = cases[i]?.[0];
      expect('error' in o ? o.error : 'no error', what).toBe('InputError');
      expect('message' in o ? o.message : '', what).toContain(join(folders[i] as string, CACHE_FILES.store));
    });
  });
});
