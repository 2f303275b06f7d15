import { describe, expect, it } from 'vitest';
import { METRICS_BY_CLI_NAME, MetricInputError, accuracy, auc, aucPr, bootstrapCi, brier, logLoss, runMetric } from '../../../src/eval/metrics/index.js';
import { OptionsError } from '../../../src/core/errors.js';
import type { Metric } from '../../../src/eval/metric.js';

const several = (...ms: unknown[]): Metric<unknown, unknown>[] => ms as Metric<unknown, unknown>[];

const keys = { pred: 'p', target: 'y', idKey: 'id' };

describe('bad input is a clear error or a counted policy, never a silent number', () => {
  it.each([Number.NaN, Infinity, -Infinity])('score %s: error naming key, row and sample id', (bad) => {
    const batch = { p: [0.1, bad, 0.8], y: [0, 1, 1], id: ['a', 'b', 'c'] };
    for (const m of several(auc(keys), aucPr(keys), accuracy(keys), brier(keys), logLoss(keys))) {
      const run = (): unknown => runMetric(m, () => [batch]);
      expect(run).toThrow(MetricInputError);
      expect(run).toThrow(/key 'p', row 1, sample 'b'.*not a finite number/);
    }
  });
  it("nonFinite: 'skip' drops the rows and counts them in status", () => {
    const batch = { p: [0.1, Number.NaN, 0.8, 0.3], y: [0, 1, 1, 0], id: ['a', 'b', 'c', 'd'] };
    const r = runMetric(auc({ ...keys, nonFinite: 'skip' }), () => [batch]);
    expect(r.result).toBe(1);
    expect(r.status.skipped).toBe(1);
    expect(runMetric(accuracy({ ...keys, nonFinite: 'skip' }), () => [batch]).status.skipped).toBe(1);
  });
  it('a target outside the class set', () => {
    const batch = { p: [0.1, 0.5], y: [0, 2], id: ['a', 'b'] };
    for (const m of several(auc(keys), accuracy(keys), brier(keys)))
      expect(() => runMetric(m, () => [batch])).toThrow(/row 1, sample 'b': target 2 is outside the class set \[0, 1\]/);
    const multi = accuracy({ preds: ['p0', 'p1'], target: 'y', classNames: ['cat', 'dog'] });
    expect(() => runMetric(multi, () => [{ p0: [0.2], p1: [0.8], y: ['cow'] }])).toThrow(/target "cow" is outside the class set \[cat, dog\]/);
    expect(() => runMetric(auc({ pred: 'p', target: 'y' }), () => [{ p: [0.1], y: [null] }])).toThrow(/target null/);
  });
  it('a single-class input for AUC / AP is an error; in a bootstrap, single-class replicates are counted', () => {
    expect(() => runMetric(auc(keys), () => [{ p: [0.1, 0.4], y: [1, 1], id: ['a', 'b'] }])).toThrow(/needs both classes, got 2 positive and 0 negative rows/);
    expect(() => runMetric(aucPr(keys), () => [{ p: [0.1, 0.4], y: [0, 0], id: ['a', 'b'] }])).toThrow(/needs both classes/);
    // 1 positive in 30 rows: some Poisson resamples drop it.
    const p = Array.from({ length: 30 }, (_, i) => i / 30);
    const y = p.map((_, i) => (i === 29 ? 1 : 0));
    const id = p.map((_, i) => `r${i}`);
    const r = runMetric(bootstrapCi({ metric: auc(keys), method: 'rows', rowKey: 'id', replicates: 200, seed: 4 }), () => [{ p, y, id }]).result as Record<string, number>;
    expect(r['failed_replicates']).toBeGreaterThan(30);
    expect(r['org']).toBe(1);
  });
  it('empty input is an error for every CLI metric', () => {
    for (const [name, make] of Object.entries(METRICS_BY_CLI_NAME)) {
      const m = make({ pred: 'p', target: 'y' });
      expect(() => runMetric(m, () => [{ p: [], y: [] }]), name).toThrow(MetricInputError);
    }
  });
  it('columns of different lengths, a missing column, bad options', () => {
    expect(() => runMetric(auc(keys), () => [{ p: [0.1, 0.2], y: [0] }])).toThrow(/key 'y'.*1 rows but 'p' has 2/);
    expect(() => runMetric(auc(keys), () => [{ p: [0.1] }])).toThrow(/key 'y'.*column is missing; closest: 'p' \(of 1 columns\)/);
    expect(() => auc({ pred: '', target: 'y' })).toThrow(OptionsError);
    expect(() => auc({ pred: 'p', target: 'y', maxFpr: 1.5 })).toThrow(/maxFpr must be in \(0, 1\]/);
    expect(() => accuracy({ pred: 'p', preds: ['a', 'b'], target: 'y' })).toThrow(/exactly one of/);
    expect(() => bootstrapCi({ metric: auc(keys), replicates: 0 })).toThrow(/replicates must be a positive integer/);
  });
});

describe('bad rows on the dense fast path (float32 scores, typed targets, > 16,384 rows)', () => {
  const n = 20000;
  const p = Float32Array.from({ length: n }, (_, i) => (i % 97) / 97);
  const y = Int8Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0));
  it('the error names the right row in a later batch', () => {
    const bad = Float32Array.from(p);
    bad[18000] = Number.NaN;
    const batches = [
      { p: bad.subarray(0, 17000), y: y.subarray(0, 17000) },
      { p: bad.subarray(17000), y: y.subarray(17000) },
    ];
    expect(() => runMetric(auc({ pred: 'p', target: 'y' }), () => batches)).toThrow(/row 1000: score NaN/);
    const badY = Int8Array.from(y);
    badY[19999] = 5;
    expect(() =>
      runMetric(auc({ pred: 'p', target: 'y' }), () => [
        { p: p.subarray(0, 17000), y: badY.subarray(0, 17000) },
        { p: p.subarray(17000), y: badY.subarray(17000) },
      ]),
    ).toThrow(/row 2999: target 5/);
  });
  it('skip counts the rows and the result equals dropping them first (exact after the pass)', () => {
    const bad = Float32Array.from(p);
    const drop = [17001, 17500, 19999];
    for (const i of drop) bad[i] = i % 2 ? Infinity : Number.NaN;
    const keep = Array.from({ length: n }, (_, i) => i).filter((i) => !drop.includes(i));
    const clean = { p: Float32Array.from(keep, (i) => p[i] as number), y: Int8Array.from(keep, (i) => y[i] as number) };
    const m = auc({ pred: 'p', target: 'y', nonFinite: 'skip' });
    const r = runMetric(m, () => [
      { p: bad.subarray(0, 17000), y: y.subarray(0, 17000) },
      { p: bad.subarray(17000), y: y.subarray(17000) },
    ]);
    expect(r.status.skipped).toBe(3);
    expect(r.result).toBe(runMetric(m, () => [clean]).result);
  });
});
