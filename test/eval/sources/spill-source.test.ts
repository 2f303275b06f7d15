import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spillSource } from '../../../src/eval/sources/spill-source.js';
import { iterableSource } from '../../../src/eval/sources/iterable-source.js';
import { arraySource } from '../../../src/eval/sources/array-source.js';
import { asyncItems } from '../async-items.js';
import { collect } from './collect.js';

describe('spillSource', () => {
  it('copies a one-shot source to disk on the first read and replays it, types intact', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fuseflow-spill-test-'));
    const batches = [
      { p: Float32Array.from([0.25, 0.5]), id: ['a', 'b'], y: [1, null] },
      { p: Float32Array.from([0.75]), id: ['c'], y: [0] },
    ];
    const src = spillSource(iterableSource(batches), { tmpDir: dir });
    expect(src.reReadable).toBe(true);
    const first = await collect(src, 10);
    const again = await collect(src, 1);
    expect(again.columns).toEqual(first.columns);
    expect(first.columns).toEqual({ p: [0.25, 0.5, 0.75], id: ['a', 'b', 'c'], y: [1, null, 0] });
    expect(again.batches.map((b) => b.length)).toEqual([1, 1, 1]);
    expect(again.batches[0]?.columns.p).toBeInstanceOf(Float32Array);
    expect(readdirSync(dir)).toHaveLength(1);
    await src.close();
    expect(readdirSync(dir)).toHaveLength(0);
  });

  it('refuses to replay after a failed first read', async () => {
    function* failing(): Generator<{ p: number[] }> {
      yield { p: [1] };
      throw new Error('upstream broke');
    }
    const src = spillSource(iterableSource(asyncItems(failing())));
    await expect(collect(src)).rejects.toThrow('upstream broke');
    await expect(collect(src)).rejects.toThrow(/first read failed/);
    await src.close();
  });

  it('reads a re-readable source directly', async () => {
    const src = spillSource(arraySource({ p: [1, 2] }));
    expect((await collect(src)).columns).toEqual({ p: [1, 2] });
  });
});
