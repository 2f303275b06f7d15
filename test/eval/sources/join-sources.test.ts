import { existsSync, mkdtempSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { joinSources } from '../../../src/eval/sources/join-sources.js';
import { arraySource } from '../../../src/eval/sources/array-source.js';
import { csvSource } from '../../../src/eval/sources/csv-source.js';
import { iterableSource } from '../../../src/eval/sources/iterable-source.js';
import { OptionsError } from '../../../src/core/errors.js';
import { asyncItems } from '../async-items.js';
import { collect } from './collect.js';

const tmp = mkdtempSync(join(tmpdir(), 'fuseflow-join-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('joinSources', () => {
  it('joins by id whatever the row order, prefixing columns with the source name', async () => {
    const j = joinSources(
      {
        pred: arraySource({ id: ['c', 'a', 'b'], score: [0.3, 0.1, 0.2] }),
        target: arraySource({ id: ['a', 'b', 'c'], label: ['x', 'y', 'z'] }),
      },
      { id: 'id', tmpDir: tmp },
    );
    const { columns } = await collect(j, 2);
    expect(columns).toEqual({ id: ['c', 'a', 'b'], 'pred.score': [0.3, 0.1, 0.2], 'target.label': ['z', 'x', 'y'] });
    expect(j.counts()).toEqual({ rows: 3, missing: { pred: 0, target: 0 }, skipped: 0, excluded: 0 });
    await j.close();
  });

  it('fails naming an id missing from a source, either side', async () => {
    const a = joinSources({ p: arraySource({ id: ['a', 'b'], s: [1, 2] }), t: arraySource({ id: ['a'], y: [0] }) }, { id: 'id', tmpDir: tmp });
    await expect(collect(a)).rejects.toThrow(/id 'b' of source 'p' \(arrays row 1\) is missing from 't'/);
    await a.close();
    const b = joinSources({ p: arraySource({ id: ['a'], s: [1] }), t: arraySource({ id: ['a', 'z'], y: [0, 1] }) }, { id: 'id', tmpDir: tmp });
    await expect(collect(b)).rejects.toThrow(/id 'z' of 't' is missing from 'p'/);
    await b.close();
  });

  it('fails naming a duplicate id with its file and line', async () => {
    const path = join(tmp, 'dup.csv');
    writeFileSync(path, 'id,y\na,0\nb,1\na,1\n');
    const j = joinSources({ p: arraySource({ id: ['a', 'b'], s: [1, 2] }), t: csvSource(path) }, { id: 'id', tmpDir: tmp });
    await expect(collect(j)).rejects.toThrow(/duplicate id 'a' in source 't' \(.*dup\.csv line 4\)/);
    await j.close();
    const d = joinSources({ p: arraySource({ id: ['a', 'a'], s: [1, 2] }) }, { id: 'id', tmpDir: tmp });
    await expect(collect(d)).rejects.toThrow(/duplicate id 'a' in source 'p' \(arrays row 1\)/);
    await d.close();
  });

  it("counts and skips missing ids under onMissing: 'skip'", async () => {
    const j = joinSources(
      {
        p: arraySource({ id: ['a', 'b', 'c', 'd'], s: [1, 2, 3, 4] }),
        t: arraySource({ id: ['a', 'c', 'e'], y: [0, 1, 1] }),
        w: arraySource({ id: ['a', 'b', 'c', 'e', 'f'], g: ['m', 'f', 'm', 'f', 'm'] }),
      },
      { id: 'id', onMissing: 'skip', tmpDir: tmp },
    );
    const { columns } = await collect(j);
    expect(columns).toEqual({ id: ['a', 'c'], 'p.s': [1, 3], 't.y': [0, 1], 'w.g': ['m', 'm'] });
    // b: lacks t; d: lacks t and w; e: lacks p; f: lacks p and t.
    expect(j.counts()).toEqual({ rows: 2, missing: { p: 2, t: 3, w: 1 }, skipped: 2, excluded: 0 });
    await j.close();
  });

  it('restricts to ids, counting excluded rows and listed ids nobody has', async () => {
    const j = joinSources({ p: arraySource({ id: [1, 2, 3], s: [1, 2, 3] }) }, { id: 'id', ids: ['3', 1, 9], onMissing: 'skip', prefix: false, tmpDir: tmp });
    const { columns } = await collect(j);
    expect(columns).toEqual({ id: ['1', '3'], s: [1, 3] });
    expect(j.counts()).toEqual({ rows: 2, missing: { p: 1 }, skipped: 0, excluded: 1 });
    await j.close();
  });

  it('gives the same joins and counts when its indexes spill from memory to LMDB', async () => {
    const n = 500;
    const ids = Array.from({ length: n }, (_, i) => `id${i}`);
    const make = (memoryRows: number) =>
      joinSources(
        {
          p: arraySource({ id: ids, s: Float64Array.from(ids, (_, i) => i) }),
          t: arraySource({ id: [...ids].reverse().filter((_, i) => i % 7 !== 0), y: Float64Array.from({ length: n }, (_, i) => i % 2).filter((_, i) => i % 7 !== 0) }),
        },
        { id: 'id', onMissing: 'skip', memoryRows, tmpDir: tmp },
      );
    const inMemory = make(10_000);
    const spilled = make(16);
    const a = await collect(inMemory, 64);
    const b = await collect(spilled, 64);
    expect(b.columns).toEqual(a.columns);
    expect(spilled.counts()).toEqual(inMemory.counts());
    expect(spilled.counts().skipped).toBe(Math.ceil(n / 7));
    // A second pass over the spilled indexes.
    expect((await collect(spilled, 100)).columns).toEqual(a.columns);
    const dup = joinSources({ p: arraySource({ id: [...ids, 'id3'], s: Float64Array.from({ length: n + 1 }) }) }, { id: 'id', memoryRows: 8, tmpDir: tmp });
    await expect(collect(dup)).rejects.toThrow(/duplicate id 'id3' in source 'p' \(arrays row 500\)/);
    await Promise.all([inMemory.close(), spilled.close(), dup.close()]);
  });

  it('reuses its index on later passes, so only the driver must be re-readable; close removes it', async () => {
    const sideDir = mkdtempSync(join(tmp, 'reuse-'));
    const j = joinSources({ p: arraySource({ id: ['a', 'b'], s: [1, 2] }), t: iterableSource([{ id: ['b', 'a'], y: [1, 0] }]) }, { id: 'id', tmpDir: sideDir, memoryRows: 1 });
    expect(j.reReadable).toBe(true);
    const first = await collect(j);
    const second = await collect(j);
    expect(second.columns).toEqual(first.columns);
    expect(first.columns['t.y']).toEqual([0, 1]);
    expect(readdirSync(sideDir)).toHaveLength(1);
    await j.close();
    expect(readdirSync(sideDir)).toHaveLength(0);
    expect(existsSync(sideDir)).toBe(true);
  });

  it('refuses clashing column names without prefixes, and bad options', async () => {
    const j = joinSources({ p: arraySource({ id: ['a'], s: [1] }), t: arraySource({ id: ['a'], s: [0] }) }, { id: 'id', prefix: false, tmpDir: tmp });
    await expect(collect(j)).rejects.toThrow(/column 's' of source 't' clashes/);
    await j.close();
    expect(() => joinSources({}, { id: 'id' })).toThrow(OptionsError);
    expect(() => joinSources({ p: arraySource({ id: ['a'] }) }, { id: 'id', ids: ['a', 'a'] })).toThrow(/listed twice/);
    expect(() => joinSources({ p: arraySource({ id: ['a'] }) }, { id: { q: 'id' } })).toThrow(/no id column given for source 'p'/);
  });

  it('reports progress while indexing the other sources', async () => {
    const events: { description: string; rows: number; done: boolean }[] = [];
    const ids = Array.from({ length: 50 }, (_, i) => `r${i}`);
    const j = joinSources(
      { p: arraySource({ id: ids, s: ids.map((_, i) => i) }), t: arraySource({ id: ids, y: ids.map((_, i) => i % 2) }) },
      { id: 'id', tmpDir: tmp, onProgress: (e) => events.push({ description: e.description, rows: e.rows, done: e.done }), progressIntervalMs: 0 },
    );
    await collect(j, 10);
    expect(events.filter((e) => !e.done).map((e) => e.rows)).toEqual([10, 20, 30, 40, 50]);
    expect(events.at(-1)).toEqual({ description: "index 't' by id", rows: 50, done: true });
    await j.close();
  });

  it('hands each joined driver batch on before pulling the next (holds one batch)', async () => {
    let produced = 0;
    function* driver(): Generator<{ id: string[]; s: number[] }> {
      for (let k = 0; k < 4; k++) {
        produced++;
        yield { id: [`a${k}`, `b${k}`], s: [k, k] };
      }
    }
    const ids = [0, 1, 2, 3].flatMap((k) => [`a${k}`, `b${k}`]);
    const j = joinSources({ p: iterableSource(asyncItems(driver())), t: arraySource({ id: ids, y: ids.map((_, i) => i % 2) }) }, { id: 'id', tmpDir: tmp });
    const seenAt: number[] = [];
    await j.scan(10, (b) => seenAt.push(produced * 10 + b.length));
    expect(seenAt).toEqual([12, 22, 32, 42]);
    await j.close();
  });

  it('fails naming an empty id', async () => {
    const j = joinSources({ p: arraySource({ id: ['a', ''], s: [1, 2] }) }, { id: 'id', tmpDir: tmp });
    await expect(collect(j)).rejects.toThrow(/empty id in source 'p' \(arrays row 1\)/);
    await j.close();
  });

  it('refuses an id that is neither text nor a number (objects all printed as [object Object] and joined with each other)', async () => {
    const j = joinSources({ p: arraySource({ id: [{ case: 1 }], s: [1] }), t: arraySource({ id: [{ case: 2 }], y: [0] }) }, { id: 'id', tmpDir: tmp });
    await expect(collect(j)).rejects.toThrow(/id in source '[pt]' \(arrays row 0\) is an object; ids must be text or numbers/);
    await j.close();
  });
});
