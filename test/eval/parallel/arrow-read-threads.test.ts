/**
 * Parallel evaluation of an Arrow IPC file whose record batches the worker threads read
 * themselves (src/eval/parallel/arrow-read-plan.ts): the planned segments are the ones the main
 * thread's own read cuts, results are the same bits for 1 (main thread reads), 3 and 8 threads
 * (workers read), and a bad row is reported by file and row as in one thread.
 */
import { describe, expect, it } from 'vitest';
import { makeData, RecordBatch, Struct, Table, tableFromArrays, tableToIPC } from 'apache-arrow';
import { InputError } from '../../../src/core/errors.js';
import { evaluate } from '../../../src/eval/evaluate.js';
import type { MetricsRecipe } from '../../../src/eval/parallel/metrics-recipe.js';
import { planArrowRead } from '../../../src/eval/parallel/arrow-read-plan.js';
import { arrowSource } from '../../../src/eval/sources/arrow-source.js';
import { csvSource } from '../../../src/eval/sources/csv-source.js';
import { scoreSource } from '../../../src/eval/sources/score-source.js';
import { fileSetSource } from '../../../src/eval/sources/file-set-source.js';
import { tempFolder } from '../../temp-folder.js';
import { exactJson, familyData } from './family-data.js';

const MODULE = new URL('./metric-sets.ts', import.meta.url).href;
const recipe = (exportName: string, args: readonly unknown[] = []): MetricsRecipe => ({ module: MODULE, exportName, args });
const { write } = tempFolder('fuseflow-arrow-read-threads-');

/** Rows of the columns `everyFamily` reads, written as record batches of `sizes` rows. */
function arrowFile(name: string, sizes: readonly number[], edit?: (p: Float32Array) => void): string {
  const { p, ...rest } = familyData(
    sizes.reduce((a, b) => a + b, 0),
    'arrow-read-threads',
  );
  edit?.(p);
  const full = tableFromArrays({ p, ...rest });
  const batches = [];
  let at = 0;
  for (const size of sizes) {
    const part = full.slice(at, at + size).batches;
    batches.push(
      ...(size === 0
        ? [
            new RecordBatch(
              full.schema,
              makeData({ type: new Struct(full.schema.fields), length: 0, nullCount: 0, children: (full.batches[0] as RecordBatch).data.children.map((d) => d.slice(0, 0)) }),
            ),
          ]
        : part),
    );
    at += size;
  }
  return write(name, tableToIPC(new Table(batches), 'file'));
}

/** JSON with typed arrays as arrays and -0 kept apart from 0. */
describe('worker threads reading an Arrow file themselves', () => {
  it("plans the segments the main thread's read cuts: batches of at most batchSize rows per record batch, a segment closing after the batch that fills it", async () => {
    const file = arrowFile('plan.arrow', [1300, 0, 700, 2500]);
    // Pieces: [0,500) [500,1000) [1000,1300) | [0,500) [500,700) | [0,500) … [2000,2500); segments of >= 1200 rows.
    const plan = await planArrowRead(arrowSource(file), 500, 1200);
    expect(plan?.rows).toBe(4500);
    const ranges = plan?.segments.map((s) => [s.rows, s.ranges.map((r) => [r.batch, r.firstRow, r.start, r.end])]);
    expect(ranges).toEqual([
      [1300, [[0, 0, 0, 1300]]],
      [
        1200,
        [
          [2, 1300, 0, 700],
          [3, 2000, 0, 500],
        ],
      ],
      [1500, [[3, 2000, 500, 2000]]],
      [500, [[3, 2000, 2000, 2500]]],
    ]);
    // Record batches 2..3 only (a shard's share).
    const part = await planArrowRead(arrowSource(file, { recordBatches: { start: 2, end: 4 } }), 1000, 1 << 22);
    expect(part?.segments.map((s) => s.ranges.map((r) => [r.batch, r.firstRow, r.start, r.end]))).toEqual([
      [
        [2, 1300, 0, 700],
        [3, 2000, 0, 2500],
      ],
    ]);
    // Other sources are read by the main thread.
    expect(await planArrowRead(csvSource(write('x.csv', 'p,y\n0.5,1\n')), 500, 1200)).toBeNull();
  });

  it('gives the same JSON for 1, 3 and 8 threads on every metric family, CIs and refinement passes included', async () => {
    const file = arrowFile('family.arrow', [1300, 2048, 700, 5000, 4000, 6952]);
    const runs: string[] = [];
    for (const threads of [1, 3, 8]) {
      const r = await evaluate({ data: file, metrics: recipe('everyFamily', [20]), threads, batchSize: 500, segmentRows: 2000 });
      expect(r.rows).toBe(20_000);
      expect(r.passes).toBeGreaterThan(1); // the AUC histogram was refined (a pass the workers read too)
      runs.push(exactJson(r));
    }
    for (const run of runs.slice(1)) expect(run).toBe(runs[0]);
  }, 120_000);

  it('reports the first bad row by file and row, as in one thread, whatever the thread count', async () => {
    const file = arrowFile('bad.arrow', [1000, 1000, 1000, 2000], (p) => {
      for (const [i, x] of p.entries()) if (x > 0.99) p[i] = 0.5;
      p[3100] = 0.999;
      p[1200] = 0.998;
    });
    const messages: string[] = [];
    for (const threads of [1, 2, 3]) {
      const err = await evaluate({ data: file, metrics: recipe('failingAbove', [0.99]), threads, batchSize: 100, segmentRows: 1000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      messages.push((err as Error).message);
    }
    expect(messages[0]).toContain(`score 0.9980000257492065 above 0.99 (input: ${file} row 1200)`);
    expect(new Set(messages).size).toBe(1);
  }, 60_000);

  it('applies a score check or conversion (scores option, as the CLI passes it) in the threads as the main thread does', async () => {
    const file = arrowFile('scored.arrow', [1000, 1000, 1000, 2000]);
    expect((await planArrowRead(scoreSource(arrowSource(file), { columns: ['p'], kind: 'logits' }), 500, 1000))?.segments[0]?.scores).toEqual({ columns: ['p'], kind: 'logits' });
    const runs: string[] = [];
    for (const threads of [1, 3]) {
      const r = await evaluate({ data: file, metrics: recipe('everyFamily', [5]), threads, batchSize: 500, segmentRows: 1000, scores: { columns: ['p'], kind: 'logits' } });
      runs.push(exactJson(r));
    }
    expect(runs[1]).toBe(runs[0]);
    const bad = arrowFile('scored-bad.arrow', [1000, 1000, 1000, 2000], (p) => {
      p[2500] = 1.5;
      p[4000] = 2;
    });
    const messages: string[] = [];
    for (const threads of [1, 3]) {
      const err = await evaluate({
        data: bad,
        metrics: recipe('everyFamily', [5]),
        threads,
        batchSize: 500,
        segmentRows: 1000,
        scores: { columns: ['p'], kind: 'probabilities' },
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      messages.push((err as Error).message);
    }
    expect(messages[0]).toContain(`${bad} row 2500: column 'p': score 1.5 is not a probability in [0, 1]`);
    expect(messages[1]).toBe(messages[0]);
  }, 60_000);

  it('reads a set of Arrow files (a glob, a shard share with record batch ranges) in the threads, segments running on across files, with the results of one thread', async () => {
    const a = arrowFile('set-a.arrow', [1500, 1500]);
    const b = arrowFile('set-b.arrow', [1000, 2000, 1000]);
    const set = fileSetSource([{ path: a }, { path: b, recordBatches: { start: 1, end: 3 } }]);
    const plan = await planArrowRead(set, 1000, 2500);
    expect(plan?.rows).toBe(6000);
    expect(plan?.segments.map((s) => s.ranges.map((r) => [r.file === a ? 'a' : 'b', r.batch, r.start, r.end]))).toEqual([
      [
        ['a', 0, 0, 1500],
        ['a', 1, 0, 1000],
      ],
      [
        ['a', 1, 1000, 1500],
        ['b', 1, 0, 2000],
      ],
      [['b', 2, 0, 1000]],
    ]);
    const runs: string[] = [];
    for (const threads of [1, 3]) runs.push(exactJson(await evaluate({ data: set, metrics: recipe('everyFamily', [5]), threads, batchSize: 1000, segmentRows: 2500 })));
    expect(runs[1]).toBe(runs[0]);
    // Files whose columns differ are left to the set's own read (and its message).
    const other = write('other.arrow', tableToIPC(tableFromArrays({ p: Float32Array.from([0.5]) }), 'file'));
    expect(await planArrowRead(fileSetSource([{ path: a }, { path: other }]), 1000, 2500)).toBeNull();
  }, 60_000);

  it('names a missing column as the main thread does', async () => {
    const file = arrowFile('cols.arrow', [300, 300]);
    const err = await evaluate({ data: arrowSource(file, { columns: ['p', 'nope'] }), metrics: recipe('everyFamily', [5]), threads: 2, batchSize: 100, segmentRows: 200 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/no column 'nope'/);
  }, 60_000);
});
