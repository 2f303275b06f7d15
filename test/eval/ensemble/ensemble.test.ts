/**
 * Model ensembles: `ensembleScores` (weighted mean, weighted vote with ties to the lower class)
 * against hand-computed values, and `ensembleSource` (files joined by id, combined, evaluated)
 * against the same metrics on a hand-averaged single model.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensembleScores } from '../../../src/eval/ensemble/ensemble-scores.js';
import { ensembleSource } from '../../../src/eval/ensemble/ensemble-source.js';
import { evaluate } from '../../../src/eval/evaluate.js';
import { auc } from '../../../src/eval/metrics/auc.js';
import { accuracy } from '../../../src/eval/metrics/accuracy.js';
import { fileSource } from '../../../src/eval/evaluate-input.js';
import { arraySource } from '../../../src/eval/sources/array-source.js';

const dir = mkdtempSync(join(tmpdir(), 'fuseflow-ensemble-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const f = (...v: number[]): Float64Array => Float64Array.from(v);

describe('ensembleScores', () => {
  // Three binary models, five rows.
  const a = f(0.9, 0.2, 0.6, 0.4, 0.5);
  const b = f(0.7, 0.1, 0.3, 0.8, 0.5);
  const c = f(0.2, 0.6, 0.4, 0.9, 0.6);

  it('mean: equal weights is the plain average; weights 1,2,1 give (a + 2b + c)/4', () => {
    const [eq] = ensembleScores([[a], [b], [c]], { method: 'mean' });
    const want = [(0.9 + 0.2) / 3 + 0.7 / 3, (0.2 + 0.6) / 3 + 0.1 / 3, (0.6 + 0.4) / 3 + 0.3 / 3, (0.4 + 0.9) / 3 + 0.8 / 3, (0.5 + 0.6) / 3 + 0.5 / 3];
    want.forEach((x, i) => expect((eq as Float64Array)[i]).toBeCloseTo(x, 15));
    const [w] = ensembleScores([[a], [b], [c]], { method: 'mean', weights: [1, 2, 1] });
    const hand = [(0.9 + 1.4 + 0.2) / 4, (0.2 + 0.2 + 0.6) / 4, (0.6 + 0.6 + 0.4) / 4, (0.4 + 1.6 + 0.9) / 4, (0.5 + 1.0 + 0.6) / 4];
    hand.forEach((x, i) => expect((w as Float64Array)[i]).toBeCloseTo(x, 15));
  });

  it('vote (binary, threshold 0.5 strictly above): the weighted share of positive votes', () => {
    // Votes a: 1 0 1 0 0; b: 1 0 0 1 0; c: 0 1 0 1 1.
    const [eq] = ensembleScores([[a], [b], [c]], { method: 'vote' });
    expect(Array.from(eq as Float64Array)).toEqual([2 / 3, 1 / 3, 1 / 3, 2 / 3, 1 / 3]);
    const [w] = ensembleScores([[a], [b], [c]], { method: 'vote', weights: [1, 2, 1] });
    expect(Array.from(w as Float64Array)).toEqual([3 / 4, 1 / 4, 1 / 4, 3 / 4, 1 / 4]);
    // Two models that disagree with equal weight: share 0.5, not above 0.5 → the lower class (negative).
    const [tie] = ensembleScores([[f(0.9)], [f(0.1)]], { method: 'vote' });
    expect(Array.from(tie as Float64Array)).toEqual([0.5]);
  });

  it('vote (multi-class): each model votes its argmax (ties to the lower class); scores are weighted vote shares', () => {
    // Row 0: m1 → 2, m2 → 0, m3 → 2 → shares [1/3, 0, 2/3]. Row 1: m1 ties 0/1 → 0; m2 → 1; m3 → 2 → [1/3, 1/3, 1/3] (argmax: class 0).
    const m1 = [f(0.1, 0.4), f(0.2, 0.4), f(0.7, 0.2)];
    const m2 = [f(0.5, 0.2), f(0.3, 0.5), f(0.2, 0.3)];
    const m3 = [f(0.1, 0.1), f(0.1, 0.2), f(0.8, 0.7)];
    const s = ensembleScores([m1, m2, m3], { method: 'vote' });
    expect(s.map((col) => Array.from(col))).toEqual([
      [1 / 3, 1 / 3],
      [0, 1 / 3],
      [2 / 3, 1 / 3],
    ]);
    const w = ensembleScores([m1, m2, m3], { method: 'vote', weights: [1, 3, 1] });
    expect(w.map((col) => Array.from(col))).toEqual([
      [3 / 5, 1 / 5],
      [0, 3 / 5],
      [2 / 5, 1 / 5],
    ]);
  });

  it('refuses bad weights and mismatched models', () => {
    expect(() => ensembleScores([[a], [b]], { method: 'mean', weights: [1] })).toThrow(/1 weights for 2 models/);
    expect(() => ensembleScores([[a], [b]], { method: 'mean', weights: [1, -2] })).toThrow(/weight 2 must be a positive finite number, got -2/);
    expect(() => ensembleScores([[a], [b, c]], { method: 'mean' })).toThrow(/model 2 has 2 score columns, model 1 has 1/);
  });
});

describe('ensembleSource evaluated like one model', () => {
  // Two models' files (rows in different orders) and a targets file, joined by id.
  const ids = ['s1', 's2', 's3', 's4', 's5', 's6'];
  const y = [1, 0, 1, 0, 1, 0];
  const pa = [0.8, 0.3, 0.4, 0.6, 0.9, 0.1];
  const pb = [0.6, 0.5, 0.7, 0.2, 0.3, 0.4];
  const write = (name: string, header: string, rows: string[]): string => {
    const path = join(dir, name);
    writeFileSync(path, `${header}\n${rows.join('\n')}\n`);
    return path;
  };
  const fa = write(
    'a.csv',
    'id,p,y',
    ids.map((id, i) => `${id},${pa[i]},${y[i]}`),
  );
  const fb = write('b.csv', 'id,p', ids.map((id, i) => `${id},${pb[i]}`).reverse());

  it('mean with weights 3,1 equals AUC and accuracy of the hand-averaged scores', async () => {
    const hand = pa.map((p, i) => (3 * p + (pb[i] as number)) / 4);
    const metrics = { auc: auc({ pred: 'p', target: 'y' }), accuracy: accuracy({ pred: 'p', target: 'y' }) };
    const ens = await evaluate({
      data: ensembleSource({ a: fileSource(fa, { idColumn: 'id' }), b: fileSource(fb, { idColumn: 'id' }) }, { id: 'id', preds: ['p'], method: 'mean', weights: [3, 1] }),
      metrics,
    });
    const one = await evaluate({
      data: arraySource({ p: Float64Array.from(hand), y: Int8Array.from(y) }),
      metrics: { auc: auc({ pred: 'p', target: 'y' }), accuracy: accuracy({ pred: 'p', target: 'y' }) },
    });
    expect(ens.metrics).toEqual(one.metrics);
    // By hand: averaged 0.75 0.35 0.475 0.5 0.75 0.175; positives {0.75, 0.475, 0.75} beat negatives
    // {0.35, 0.5, 0.175} in 8 of 9 pairs; strictly above 0.5: 1 0 0 0 1 0 against 1 0 1 0 1 0 → 5/6.
    expect(ens.metrics['auc']).toBeCloseTo(8 / 9, 15);
    expect(ens.metrics['accuracy']).toBeCloseTo(5 / 6, 15);
  });

  it('a column several inputs hold must agree per id; fewer than two models is an error', async () => {
    const fc = write(
      'c.csv',
      'id,p,y',
      ids.map((id, i) => `${id},${pb[i]},${i === 3 ? 1 : y[i]}`),
    );
    const run = (inputs: Record<string, string>) =>
      evaluate({
        data: ensembleSource(Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, fileSource(v, { idColumn: 'id' })])), { id: 'id', preds: ['p'], method: 'vote' }),
        metrics: { accuracy: accuracy({ pred: 'p', target: 'y' }) },
      });
    await expect(run({ a: fa, c: fc })).rejects.toThrow(/id 's4': column 'y' is '0' in 'a' but '1' in 'c'/);
    const ft = write(
      't.csv',
      'id,y',
      ids.map((id, i) => `${id},${y[i]}`),
    );
    await expect(run({ a: fa, t: ft })).rejects.toThrow(/1 input \(a\) holds every score column p; an ensemble needs at least two models/);
  });
});
