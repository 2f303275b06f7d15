/**
 * The worker-side Arrow reader (BatchReader) reads each record batch into one buffer that the next
 * batch reuses, unless the folded states keep a view of it: then that buffer is left to them.
 */
import { describe, expect, it } from 'vitest';
import { RecordBatch, Table, tableFromArrays, tableToIPC, vectorFromArray, Dictionary, Utf8, Int32 } from 'apache-arrow';
import { evaluate } from '../../../src/eval/evaluate.js';
import type { MetricsRecipe } from '../../../src/eval/parallel/metrics-recipe.js';
import { BatchReader, planArrowRead } from '../../../src/eval/parallel/arrow-read-plan.js';
import { arrowSource } from '../../../src/eval/sources/arrow-source.js';
import type { SourceBatch } from '../../../src/eval/sources/eval-source.js';
import { tempFolder } from '../../temp-folder.js';
import { exactJson, familyData } from './family-data.js';

const MODULE = new URL('./metric-sets.ts', import.meta.url).href;
const { write } = tempFolder('fuseflow-arrow-read-pool-');

/** The family rows as an Arrow file of record batches of `batch` rows (with the string ids when `ids`). */
function arrowFile(name: string, n: number, batch: number, ids = false): { file: string; p: Float32Array } {
  const { p, y, id } = familyData(n, 'arrow-read-pool');
  const full = ids ? tableFromArrays({ p, y, id }) : tableFromArrays({ p, y });
  const batches: RecordBatch[] = [];
  for (let at = 0; at < n; at += batch) batches.push(...full.slice(at, at + batch).batches);
  return { file: write(name, tableToIPC(new Table(batches), 'file')), p };
}

/** Every batch of one segment covering the whole file, with the buffer of its `p` column. */
async function readAll(file: string, keeps: ((b: ArrayBufferLike) => boolean) | undefined): Promise<{ values: number[]; buffers: ArrayBufferLike[] }> {
  const plan = await planArrowRead(arrowSource(file, { columns: ['p'] }), 1000, 1e9);
  const reader = new BatchReader();
  const values: number[] = [];
  const buffers: ArrayBufferLike[] = [];
  try {
    const onBatch = (b: SourceBatch): void => {
      const col = b.columns['p'] as Float32Array;
      values.push(...col);
      buffers.push(col.buffer);
    };
    for (const s of plan?.segments ?? []) await reader.read(s, 1000, onBatch, keeps);
  } finally {
    await reader.close();
  }
  return { values, buffers };
}

describe('BatchReader read buffers', () => {
  it('reuses one buffer for every record batch when nothing keeps a view of it, with the values apache-arrow reads', async () => {
    const { file, p } = arrowFile('reuse.arrow', 6000, 1000);
    const reused = await readAll(file, () => false);
    expect(reused.values).toEqual(Array.from(p));
    expect(new Set(reused.buffers).size).toBe(1);
    // Default (no `keeps`): assume the batches are kept, a fresh buffer each.
    const fresh = await readAll(file, undefined);
    expect(fresh.values).toEqual(Array.from(p));
    expect(new Set(fresh.buffers).size).toBe(6);
  });

  it('reads a file with a dictionary-encoded column through apache-arrow (a buffer per batch)', async () => {
    const dict = vectorFromArray(['a', 'b', 'a', 'c'], new Dictionary(new Utf8(), new Int32()));
    const t = new Table({ p: vectorFromArray([0.1, 0.2, 0.3, 0.4]), d: dict });
    const file = write('dict.arrow', tableToIPC(t, 'file'));
    const plan = await planArrowRead(arrowSource(file), 2, 1e9);
    const reader = new BatchReader();
    const seen: unknown[] = [];
    try {
      for (const s of plan?.segments ?? [])
        await reader.read(
          s,
          2,
          (b) => seen.push(...Array.from(b.columns['d'] as ArrayLike<unknown>)),
          () => false,
        );
    } finally {
      await reader.close();
    }
    expect(seen).toEqual(['a', 'b', 'a', 'c']);
  });

  it('gives metrics that keep the columns they are handed (row-keeping CI, a state holding the arrays) the results of one thread on 3 and 8 threads', async () => {
    const { file } = arrowFile('keeps.arrow', 12000, 500);
    const recipe: MetricsRecipe = { module: MODULE, exportName: 'keepsRows', args: [40] };
    const run = (threads: number) => evaluate({ data: file, metrics: recipe, threads, batchSize: 250, segmentRows: 1500 });
    const one = exactJson(await run(1));
    expect(one).toContain('"kept"');
    for (const threads of [3, 8]) expect(exactJson(await run(threads))).toBe(one);
  });
});
