import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { open } from 'lmdb';
import { IdIndex, lmdbTable } from '../../../src/eval/sources/id-index.js';

const dir = mkdtempSync(join(tmpdir(), 'fuseflow-id-index-'));
const root = open({ path: dir, maxDbs: 4, noSync: true });
afterAll(async () => {
  await root.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('IdIndex', () => {
  it('holds at most memoryEntries in memory, then moves everything to LMDB and keeps answering', async () => {
    let opened = 0;
    const index = new IdIndex<number[]>(3, () => {
      opened++;
      return lmdbTable<number[]>(root, 'a');
    });
    index.batch(() => {
      for (let i = 0; i < 3; i++) index.put(`id${i}`, [i]);
    });
    expect(index.spilled).toBe(false);
    expect(opened).toBe(0);
    index.batch(() => {
      for (let i = 3; i < 10; i++) index.put(`id${i}`, [i, i]);
    });
    expect(index.spilled).toBe(true);
    expect(opened).toBe(1);
    expect(index.size).toBe(10);
    expect(index.get('id2')).toEqual([2]);
    expect(index.get('id9')).toEqual([9, 9]);
    expect(index.has('id10')).toBe(false);
    index.put('id9', [0]);
    expect(index.size).toBe(10);
    expect([...index.keys()].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `id${i}`).sort());
    await index.clear();
    expect(index.spilled).toBe(false);
    expect(index.size).toBe(0);
    expect(index.has('id1')).toBe(false);
  });
});
