/**
 * The id digest files of map/merge evaluation (src/eval/shard/id-digests.ts): the digest equals an
 * independent MurmurHash3_x86_128 (Python, over UTF-16LE bytes); a writer holding fewer digests
 * than it is given spills sorted runs and merges them into the same sorted file as one held in
 * memory (checked against a BigInt sort); the cross-shard check finds a shared id and passes
 * distinct ones.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/core/rng.js';
import { checkIdsAcrossShards, idDigest, IdDigestWriter, ID_DIGEST_MAGIC } from '../../../src/eval/shard/id-digests.js';
import { tempFolder } from '../../temp-folder.js';

const { dir, write } = tempFolder('fuseflow-id-digests-');

const hex = (d: Uint32Array): string => Array.from(d, (w) => w.toString(16).padStart(8, '0')).join(' ');

describe('id digests', () => {
  it('equal MurmurHash3_x86_128 (seed 0) of the UTF-16LE bytes, computed by an independent Python implementation', () => {
    // Lengths around the 8-code-unit block and every tail length, plus non-ASCII text.
    const ids = ['', 'a', 'ab', 'abc', 'case-60', 'case-605', 'case-6051', 'sample-000123456', 'sample-0001234567', 'héllo wörld ✓ 17', '007'];
    const py = spawnSync('python3', [join(import.meta.dirname, 'murmur3-x86-128.py'), ...ids], { encoding: 'utf8' });
    expect(py.status).toBe(0);
    const expected = py.stdout.trim().split('\n');
    const d = new Uint32Array(4);
    ids.forEach((id, i) => {
      idDigest(id, d, 0);
      expect(hex(d), id).toBe(expected[i]);
    });
  });

  it('a writer over its memory bound spills sorted runs and merges them: the same file as in memory, sorted as a BigInt sort sorts', () => {
    const rng = Rng.fromParts([3, 'id-digests']);
    const ids = Array.from({ length: 5_000 }, (_, i) => `id-${Math.floor(rng.next() * 1e12)}-${i}`);
    const small = new IdDigestWriter(join(dir, 'small.ids'), { memoryIds: 300 });
    const large = new IdDigestWriter(join(dir, 'large.ids'));
    for (const id of ids) {
      small.add(id);
      large.add(id);
    }
    const a = small.finish([{ path: 'x.arrow' }]);
    const b = large.finish([{ path: 'x.arrow' }]);
    expect(a.count).toBe(5_000);
    expect(a.sha256).toBe(b.sha256);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]); // runs removed
    const bytes = readFileSync(join(dir, 'small.ids'));
    expect(bytes.subarray(0, 8).toString('latin1')).toBe(ID_DIGEST_MAGIC);
    const d = new Uint32Array(4);
    const reference = ids
      .map((id) => {
        idDigest(id, d, 0);
        return (BigInt(d[0] as number) << 96n) | (BigInt(d[1] as number) << 64n) | (BigInt(d[2] as number) << 32n) | BigInt(d[3] as number);
      })
      .sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    const written = Array.from({ length: 5_000 }, (_, r) => BigInt(`0x${bytes.subarray(8 + 16 * r, 24 + 16 * r).toString('hex')}`));
    expect(written).toEqual(reference);
  });

  it('checkIdsAcrossShards: a shared id is named with both files and rows; distinct ids pass', async () => {
    const csv = (name: string, ids: readonly string[]): string => write(name, `id,pred,target\n${ids.map((id) => `${id},0.5,1`).join('\n')}\n`);
    const shard = (k: number, path: string, ids: readonly string[], memoryIds: number) => {
      const w = new IdDigestWriter(join(dir, `s${k}.state.ids`), { memoryIds });
      for (const id of ids) w.add(id);
      return { file: join(dir, `s${k}.state`), shard: { index: k, count: 3 }, ids: w.finish([{ path }]) };
    };
    const idsA = Array.from({ length: 700 }, (_, i) => `a${i}`);
    const idsB = Array.from({ length: 500 }, (_, i) => `b${i}`);
    const idsC = [...Array.from({ length: 400 }, (_, i) => `c${i}`), '007'];
    const pa = csv('a.csv', idsA);
    const pb = csv('b.csv', idsB);
    const pc = csv('c.csv', idsC);
    const files: never[] = []; // no recorded sizes: the rescan does not check for changed inputs here
    await expect(checkIdsAcrossShards([shard(0, pa, idsA, 64), shard(1, pb, idsB, 1000), shard(2, pc, idsC, 100)], 'id', files)).resolves.toBeUndefined();
    const dupB = [...idsB.slice(0, 250), '007', ...idsB.slice(250)];
    const pb2 = csv('b2.csv', dupB);
    const err = await checkIdsAcrossShards([shard(0, pa, idsA, 64), shard(1, pb2, dupB, 1000), shard(2, pc, idsC, 100)], 'id', files).catch((e: unknown) => e);
    expect(String(err)).toContain(`duplicate id '007'`);
    // CSV lines: header is line 1, so row 250 of b2.csv is line 252; '007' is c.csv's 401st row, line 402.
    expect(String(err)).toContain(`${pb2} line 252`);
    expect(String(err)).toContain(`${pc} line 402`);
    expect(String(err)).toContain('shard 1/3');
    expect(String(err)).toContain('shard 2/3');
  });
});
