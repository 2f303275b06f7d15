import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { from } from 'rxjs';
import { RecordBatchFileWriter, Table, vectorFromArray, Utf8 } from 'apache-arrow';
import { evaluate } from '../../src/eval/evaluate.js';
import type { EvalProgress } from '../../src/eval/evaluate-progress.js';
import type { EvalBatch, Metric } from '../../src/eval/metric.js';
import { auc } from '../../src/eval/metrics/auc.js';
import { observableSource } from '../../src/eval/sources/iterable-source.js';
import { InputError, OptionsError } from '../../src/core/errors.js';
import { asyncItems } from './async-items.js';
import { KNIGHT_CSV, knightColumns, removeKnightFiles, writeKnightFolds, writeKnightSplit } from './knight-fixture.js';

afterAll(removeKnightFiles);

const knight = knightColumns();
const score = Float64Array.from(knight['CanAT-score'] as string[], Number);
const target = Int32Array.from(knight.task1_target as string[], Number);
const ids = knight.id as string[];

/** Sums column `key`; reads another metric's result when `plus` is given (tests dependency order). */
function columnSum(name: string, key: string, plus?: string): Metric<number, number> {
  return {
    name,
    ...(plus === undefined ? {} : { dependsOn: [plus] }),
    init: () => 0,
    update: (s, b: EvalBatch) => {
      const col = b[key] as ArrayLike<number>;
      for (let i = 0; i < col.length; i++) s += col[i] as number;
      return s;
    },
    merge: (a, b) => a + b,
    compute: (s, results) => s + (plus === undefined ? 0 : (results[plus] as number)),
  };
}

describe('evaluate', () => {
  it("reproduces FuseMedML's example_1: AUC 0.845 on predictions and targets joined from two CSV files", async () => {
    const { preds, targets } = writeKnightSplit();
    // joinMemoryRows 10: the id indexes move to LMDB after 10 ids (the larger-than-memory path).
    for (const joinMemoryRows of [1_000_000, 10]) {
      const result = await evaluate({
        data: { pred: preds, target: targets },
        id: 'id',
        metrics: { auc: auc({ pred: 'pred.CanAT-score', target: 'target.Task1-target' }) },
        batchSize: 7,
        joinMemoryRows,
      });
      expect(result.metrics.auc).toBeCloseTo(0.845, 12);
      expect(result.rows).toBe(60);
      expect(result.join).toEqual({ rows: 60, missing: { pred: 0, target: 0 }, skipped: 0, excluded: 0 });
    }
  });

  it("reads a list of fold files as one input tagged with evaluator_fold (FuseMedML's example_2)", async () => {
    const { fold0, fold1, targets } = writeKnightFolds();
    const seen = new Set<number>();
    const foldTag: Metric<null, null> = {
      name: 'folds',
      init: () => null,
      update: (s, b) => {
        const col = b['pred.evaluator_fold'] as ArrayLike<number>;
        for (let i = 0; i < col.length; i++) seen.add(col[i] as number);
        return s;
      },
      merge: (a) => a,
      compute: () => null,
    };
    const all = await evaluate({
      data: { pred: [fold0, fold1], target: targets },
      id: 'id',
      metrics: { auc: auc({ pred: 'pred.CanAT-score', target: 'target.Task1-target' }), folds: foldTag },
    });
    expect(all.metrics.auc).toBeCloseTo(0.845, 12);
    expect([...seen].sort()).toEqual([0, 1]);
    // Per fold (FuseMedML recomputed: 159/189 and 175/209), here by restricting the ids.
    const foldIds = (f: string): string[] => ids.filter((_, i) => knight.fold?.[i] === f);
    for (const [f, expected] of [
      ['0', 159 / 189],
      ['1', 175 / 209],
    ] as const) {
      const r = await evaluate({
        data: { pred: [fold0, fold1], target: targets },
        id: 'id',
        ids: foldIds(f),
        metrics: { auc: auc({ pred: 'pred.CanAT-score', target: 'target.Task1-target' }) },
      });
      expect(r.metrics.auc).toBeCloseTo(expected, 12);
      expect(r.join?.excluded).toBe(60 - foldIds(f).length);
    }
  });

  it('gives the same AUC from arrays, CSV, Arrow, AsyncIterable and Observable at any batch size and sharding', async () => {
    const arrowPath = join(writeKnightSplit().dir, 'knight.arrow');
    const writer = new RecordBatchFileWriter();
    writer.writeAll(new Table({ id: vectorFromArray(ids, new Utf8()), score: vectorFromArray(score), target: vectorFromArray(target) }));
    writeFileSync(arrowPath, writer.toUint8Array(true));
    const metrics = [auc({ pred: 'score', target: 'target' })];
    const chunks = (n: number): EvalBatch[] =>
      Array.from({ length: Math.ceil(60 / n) }, (_, k) => ({ score: score.slice(k * n, k * n + n), target: target.slice(k * n, k * n + n) }));
    const inputs = {
      arrays: { score, target },
      arrowTable: new Table({ id: vectorFromArray(ids, new Utf8()), score: vectorFromArray(score), target: vectorFromArray(target) }),
      arrow: arrowPath,
      iterable: () => asyncItems(chunks(9)),
      observable: observableSource(from(chunks(13)), { reReadable: true }),
    };
    for (const [kind, data] of Object.entries(inputs)) {
      const r = await evaluate({ data, metrics, batchSize: 5 });
      expect(r.metrics.auc, kind).toBe(676 / 800);
    }
    // One-shot input: the AUC histogram's one-pass bounded result (maxPasses: 0) needs no second read.
    const once = asyncItems(chunks(9));
    const bounded = await evaluate({ data: once, metrics: [auc({ pred: 'score', target: 'target', maxPasses: 0 })] });
    expect(Math.abs((bounded.metrics.auc as number) - 676 / 800)).toBeLessThan(0.05);
    const csv = await evaluate({ data: KNIGHT_CSV, metrics: [auc({ pred: 'CanAT-score', target: 'task1_target' })] });
    expect(csv.metrics.auc).toBe(676 / 800);
    const tsvPath = join(writeKnightSplit().dir, 'knight.tsv');
    writeFileSync(tsvPath, readFileSync(KNIGHT_CSV, 'utf8').replace(/,/g, '\t'));
    const tsv = await evaluate({ data: tsvPath, metrics: [auc({ pred: 'CanAT-score', target: 'task1_target' })] });
    expect(tsv.metrics.auc).toBe(676 / 800);
    await expect(evaluate({ data: 'preds.parquet', metrics })).rejects.toThrow(/cannot tell the format of 'preds\.parquet'/);
    for (const batchSize of [1, 7, 1000, 1_000_000]) {
      for (const shards of [1, 3, 8]) {
        const r = await evaluate({ data: { score, target }, metrics, batchSize, shards });
        expect(r.metrics.auc, `batchSize ${batchSize}, shards ${shards}`).toBe(676 / 800);
      }
    }
  });

  it('runs the extra passes a metric asks for over re-readable input, and refuses them over one-shot input', async () => {
    // More rows than the AUC keeps raw (16,384), with scores close enough to share 16-bit
    // histogram bins holding both classes: the exact AUC needs a refinement pass.
    const n = 20_000;
    const p = Float64Array.from({ length: n }, (_, i) => 0.5 + i * 1e-7);
    const y = Int32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0));
    // Scores increase with i: each positive outranks the negatives before it.
    let negativesBelow = 0;
    let concordant = 0;
    let pos = 0;
    for (let i = 0; i < n; i++) {
      if (y[i] === 1) {
        concordant += negativesBelow;
        pos++;
      } else negativesBelow++;
    }
    const exact = concordant / (pos * (n - pos));
    const metrics = { auc: auc({ pred: 'p', target: 'y' }) };
    const progress: EvalProgress[] = [];
    const r = await evaluate({ data: { p, y }, metrics, batchSize: 1000, onProgress: (e) => progress.push(e), progressIntervalMs: 0 });
    expect(r.passes).toBeGreaterThan(1);
    expect(r.metrics.auc).toBeCloseTo(exact, 12);
    expect(progress.filter((e) => e.done).map((e) => [e.pass, e.rows])).toEqual(Array.from({ length: r.passes }, (_, k) => [k + 1, n]));
    expect(progress.some((e) => !e.done)).toBe(true);
    // The refined (multi-pass) result is the same at any batch size and sharding.
    for (const [batchSize, shards] of [
      [1, 1],
      [1000, 8],
      [1_000_000, 1],
    ] as const) {
      const again = await evaluate({ data: { p, y }, metrics: { auc: auc({ pred: 'p', target: 'y' }) }, batchSize, shards });
      expect(again.metrics.auc, `batchSize ${batchSize}, shards ${shards}`).toBe(r.metrics.auc);
    }
    const factory = await evaluate({ data: () => [{ p, y }], metrics, batchSize: 777 });
    expect(factory.metrics.auc).toBe(r.metrics.auc);
    const oneShot = asyncItems([{ p, y }]);
    await expect(evaluate({ data: oneShot, metrics })).rejects.toThrow(
      /metric 'auc' needs another pass .* can be read only once; with one-shot input the first pass must fit.*spill: true/,
    );
    // spill: the one-shot input is copied to disk on the first pass and re-read from there.
    const spilled = await evaluate({
      data: asyncItems(
        (function* () {
          for (let k = 0; k < n; k += 3000) yield { p: p.subarray(k, k + 3000), y: y.subarray(k, k + 3000) };
        })(),
      ),
      metrics,
      spill: true,
    });
    expect(spilled.passes).toBe(r.passes);
    expect(spilled.metrics.auc).toBe(r.metrics.auc);
  });

  it('computes metrics after those whose results they read', async () => {
    const r = await evaluate({
      data: { a: [1, 2, 3], b: [10, 20, 30] },
      metrics: [columnSum('total', 'b', 'base'), columnSum('base', 'a')],
    });
    expect(r.metrics).toEqual({ base: 6, total: 66 });
    await expect(evaluate({ data: { a: [1] }, metrics: [columnSum('x', 'a', 'y')] })).rejects.toThrow(/depends on 'y', which is not among/);
    await expect(evaluate({ data: { a: [1] }, metrics: [columnSum('x', 'a', 'y'), columnSum('y', 'a', 'x')] })).rejects.toThrow(/cycle: x -> y -> x/);
    await expect(evaluate({ data: { a: [1] }, metrics: [] })).rejects.toThrow(OptionsError);
    await expect(evaluate({ data: { a: [1] }, metrics: [columnSum('x', 'a')], batchSize: 0 })).rejects.toThrow(/batchSize/);
  });

  it('names the file and line of a row a metric rejects', async () => {
    const { dir } = writeKnightSplit();
    const path = join(dir, 'nan.csv');
    writeFileSync(path, 'id,p,y\na,0.1,0\nb,nan,1\nc,0.7,1\n');
    const run = evaluate({ data: path, metrics: [auc({ pred: 'p', target: 'y' })], batchSize: 2 });
    await expect(run).rejects.toThrow(InputError);
    await expect(evaluate({ data: path, metrics: [auc({ pred: 'p', target: 'y' })], batchSize: 2 })).rejects.toThrow(/nan\.csv:line 3: .*not a finite number/);
    await expect(evaluate({ data: { p: [0.1, Infinity], y: [0, 1] }, metrics: [auc({ pred: 'p', target: 'y' })] })).rejects.toThrow(/input: data row 1\)/);
  });

  it("restricts to ids and reports join counts under onMissing: 'skip'", async () => {
    const { preds, targets } = writeKnightSplit();
    const keep = ids.slice(0, 30);
    const r = await evaluate({
      data: { pred: preds, target: targets },
      id: 'id',
      ids: [...keep, 'case_99999'],
      onMissing: 'skip',
      metrics: { auc: auc({ pred: 'pred.CanAT-score', target: 'target.Task1-target' }) },
    });
    expect(r.rows).toBe(30);
    expect(r.join).toEqual({ rows: 30, missing: { pred: 1, target: 1 }, skipped: 0, excluded: 30 });
    // The first 30 ids are FuseMedML's fold 0 minus case_00132 plus... recompute the AUC on them directly.
    const direct = await evaluate({ data: { score: score.slice(0, 30), target: target.slice(0, 30) }, metrics: { auc: auc({ pred: 'score', target: 'target' }) } });
    expect(r.metrics.auc).toBe(direct.metrics.auc);
    await expect(evaluate({ data: { pred: preds, target: targets }, metrics: [columnSum('x', 'a')] })).rejects.toThrow(/needs the id column/);
  });

  it('fails clearly on empty input', async () => {
    const { dir } = writeKnightSplit();
    const path = join(dir, 'empty.csv');
    writeFileSync(path, 'id,p,y\n');
    await expect(evaluate({ data: path, metrics: [auc({ pred: 'p', target: 'y' })] })).rejects.toThrow(/empty\.csv: no rows to evaluate/);
    await expect(evaluate({ data: { p: [], y: [] }, metrics: [auc({ pred: 'p', target: 'y' })] })).rejects.toThrow(/data: no rows to evaluate/);
    await expect(
      evaluate({ data: { a: { id: ['x'], p: [0.1] }, b: { id: ['y'], t: [1] } }, id: 'id', onMissing: 'skip', metrics: [auc({ pred: 'a.p', target: 'b.t' })] }),
    ).rejects.toThrow(/no rows to evaluate \(join: 1 rows skipped for missing ids, 0 excluded by ids\)/);
  });

  it('catches a duplicate id in a single input when given the id column', async () => {
    await expect(evaluate({ data: { id: ['a', 'b', 'a'], p: [0.1, 0.2, 0.3], y: [0, 1, 0] }, id: 'id', metrics: [auc({ pred: 'p', target: 'y' })] })).rejects.toThrow(
      /duplicate id 'a' in source 'data' \(data row 2\)/,
    );
  });
});
