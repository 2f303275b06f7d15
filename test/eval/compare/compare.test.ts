import { describe, expect, it } from 'vitest';
import { delongTest } from '../../../src/eval/compare/delong.js';
import { delongTestOneVsRest } from '../../../src/eval/compare/delong-one-vs-rest.js';
import { mcnemarTest } from '../../../src/eval/compare/mcnemar.js';
import { pairedBootstrap } from '../../../src/eval/compare/paired-bootstrap.js';
import { confusion } from '../../../src/eval/metrics/confusion.js';
import { runMetric } from '../../../src/eval/metrics/run-metric.js';

describe("DeLong's test (FuseMedML test values)", () => {
  it('example_6: binary, z ≈ 1.000, p ≈ 0.3173', () => {
    const r = runMetric(delongTest({ pred1: 'p1', pred2: 'p2', target: 'y' }), () => [{ y: [0, 0, 1, 1, 1], p1: [0.1, 0.2, 0.6, 0.7, 0.8], p2: [0.3, 0.6, 0.2, 0.7, 0.9] }]).result;
    expect(r.p_value).toBeCloseTo(0.31731050786291437, 10);
    expect(r.z).toBeCloseTo(1, 10);
    expect(r.auc1).toBe(1);
    expect(r.auc2).toBeCloseTo(2 / 3, 14);
    expect(r.cov11).toBe(0);
    expect(r.cov22).toBeCloseTo(0.11111111111111112, 14);
  });
  it('example_6 as FuseMedML runs it: two classes [1 − p, p], macro p ≈ 0.3173 (4), z ≈ 1.000 (3)', () => {
    const p1 = [0.1, 0.2, 0.6, 0.7, 0.8];
    const p2 = [0.3, 0.6, 0.2, 0.7, 0.9];
    const batch = { y: [0, 0, 1, 1, 1], a0: p1.map((v) => 1 - v), a1: p1, b0: p2.map((v) => 1 - v), b1: p2 };
    const r = runMetric(delongTestOneVsRest({ preds1: ['a0', 'a1'], preds2: ['b0', 'b1'], target: 'y', classNames: ['negative', 'positive'] }), () => [batch]).result;
    expect(Math.abs((r.p_value['macro_avg'] as number) - 0.3173)).toBeLessThan(5e-5);
    expect(Math.abs((r.z['macro_avg'] as number) - 1)).toBeLessThan(5e-4);
    expect(r.auc1['negative']).toBe(1);
    expect(r.auc2['positive']).toBeCloseTo(2 / 3, 12);
  });
  it('example_7: p ≈ 0.09453, z ≈ 1.672 and the covariances', () => {
    const batch = {
      y: [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1],
      p1: [0.1, 0.2, 0.05, 0.3, 0.1, 0.6, 0.6, 0.7, 0.8, 0.99, 0.8, 0.67, 0.5],
      p2: [0.3, 0.6, 0.2, 0.1, 0.1, 0.9, 0.23, 0.7, 0.9, 0.4, 0.77, 0.3, 0.89],
    };
    // Split in three batches: the rows are kept, so batching does not matter.
    const r = runMetric(delongTest({ pred1: 'p1', pred2: 'p2', target: 'y' }), () =>
      [0, 5, 9].map((s, i, a) => Object.fromEntries(Object.entries(batch).map(([k, v]) => [k, v.slice(s, a[i + 1] ?? 13)]))),
    ).result;
    expect(r.p_value).toBeCloseTo(0.09452572880559044, 12);
    expect(r.z).toBeCloseTo(1.6719928661789871, 12);
    expect(r.auc1).toBeCloseTo(40.5 / 42, 14);
    expect(r.auc2).toBeCloseTo(31 / 42, 14);
    expect(r.cov11).toBeCloseTo(0.001889644746787604, 14);
    expect(r.cov12).toBeCloseTo(0.004856386999244144, 14);
    expect(r.cov22).toBeCloseTo(0.026124338624338626, 14);
    expect(r.auc1_conf_lower).toBeLessThan(r.auc1);
    expect(r.auc1_conf_upper).toBeGreaterThan(r.auc1);
  });
  it('needs two rows of each class', () => {
    expect(() => runMetric(delongTest({ pred1: 'a', pred2: 'b', target: 'y' }), () => [{ a: [0.1, 0.2, 0.3], b: [0.1, 0.2, 0.3], y: [0, 0, 1] }])).toThrow(
      /at least 2 positive and 2 negative/,
    );
  });
});

describe("McNemar's test", () => {
  it('example_10: statistic 1, p 1.0, n1 2, n2 1', () => {
    const r = runMetric(mcnemarTest({ pred1: 'a', pred2: 'b', target: 'y' }), () => [
      { y: [0, 0, 0, 0, 0, 1, 1, 1, 1, 1], a: [0, 1, 1, 1, 0, 1, 1, 0, 1, 1], b: [1, 1, 0, 1, 0, 1, 1, 0, 0, 1] },
    ]).result;
    expect(r).toMatchObject({
      statistic: 1,
      n1: 2,
      n2: 1,
      table: [
        [4, 2],
        [1, 3],
      ],
    });
    expect(r.p_value).toBeCloseTo(1, 12);
  });
  it('exact p for a lopsided table and the chi-square variant', () => {
    // 10 discordant pairs split 1 / 9: exact p = 2 · P(X <= 1 | 10, 0.5) = 22/1024.
    const a = [...Array<number>(9).fill(0), 1, ...Array<number>(5).fill(1)];
    const b = [...Array<number>(9).fill(1), 0, ...Array<number>(5).fill(1)];
    const y = Array(15).fill(1);
    expect(runMetric(mcnemarTest({ pred1: 'a', pred2: 'b', target: 'y' }), () => [{ a, b, y }]).result.p_value).toBeCloseTo(22 / 1024, 14);
    const chi = runMetric(mcnemarTest({ pred1: 'a', pred2: 'b', target: 'y', exact: false }), () => [{ a, b, y }]).result;
    expect(chi.statistic).toBeCloseTo(49 / 10, 14);
    expect(chi.p_value).toBeCloseTo(0.02685669550752441, 12); // scipy.stats.chi2.sf(4.9, 1)
  });
});

describe('paired bootstrap', () => {
  const data = { id: [0, 1, 2, 3, 4], a: [0.4, 0.3, 0.7, 0.8, 0.0], b: [0.4, 0.3, 0.7, 0.2, 1.0], target: [0, 1, 1, 1, 0] };
  it('example_5: FuseMedML resampling with seed 0 gives count_superior 7021 of 10000', () => {
    const m = pairedBootstrap({
      test: confusion({ pred: 'a', target: 'target' }),
      reference: confusion({ pred: 'b', target: 'target' }),
      keys: ['sensitivity'],
      method: 'fusemedml',
      stratum: 'target',
      seed: 0,
      replicates: 10000,
    });
    const r = (runMetric(m, () => [data]).result as Record<string, Record<string, number>>)['sensitivity'] as Record<string, number>;
    expect(r['count']).toBe(10000);
    expect(r['count_superior']).toBe(7021);
    expect(r['p_value']).toBeCloseTo(0.2979, 12);
    expect(r['diff']).toBeCloseTo(0.33283333333333337, 12);
    // FuseMedML asserts p ≈ 0.300663 to 2 places.
    expect(Math.abs((r['p_value'] as number) - 0.300663)).toBeLessThan(0.005);
  });
  it('row method: p-value near (2/3)^3 and the same for any batch size', () => {
    const run = (batches: Record<string, number[]>[]) =>
      (
        runMetric(
          pairedBootstrap({
            test: confusion({ pred: 'a', target: 'target' }),
            reference: confusion({ pred: 'b', target: 'target' }),
            keys: ['sensitivity'],
            rowKey: 'id',
            replicates: 2000,
            seed: 3,
          }),
          () => batches,
        ).result as Record<string, Record<string, number>>
      )['sensitivity'];
    const one = run([data]);
    const split = run([0, 1, 2, 3, 4].map((i) => Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v.slice(i, i + 1)]))));
    expect(split).toEqual(one);
    expect((one as Record<string, number>)['count']).toBeGreaterThan(1500);
  });
  it('non-inferiority and equality margins, absolute and relative', () => {
    const mk = (compare: 'non-inferiority' | 'equality', margin: number, marginType: 'abs' | 'rel' = 'abs') =>
      (
        runMetric(
          pairedBootstrap({
            test: confusion({ pred: 'a', target: 'target' }),
            reference: confusion({ pred: 'b', target: 'target' }),
            keys: ['sensitivity'],
            compare,
            margin,
            marginType,
            method: 'fusemedml',
            stratum: 'target',
            seed: 0,
            replicates: 2000,
          }),
          () => [data],
        ).result as Record<string, Record<string, number>>
      )['sensitivity'] as Record<string, number>;
    // Positives are ids 1, 2, 3; a detects 2 and 3, b only 2, so on every stratified resample
    // sensitivity(a) − sensitivity(b) = (draws of id 3) / 3 >= 0: a is never worse.
    const ni = mk('non-inferiority', 1e-9);
    expect(ni['count_non_inferior']).toBe(2000);
    expect(ni['p_value']).toBe(0);
    // Equality within 0.1: only resamples where the difference is 0 (no id 3 drawn), about (2/3)^3.
    const eq = mk('equality', 0.1);
    expect(eq['count_equal']).toBe(2000 - (mk('non-inferiority', -0.1)['count_non_inferior'] as number));
    expect(Math.abs((eq['count_equal'] as number) / 2000 - 8 / 27)).toBeLessThan(0.04);
    const rel = mk('equality', 0.5, 'rel');
    expect(rel['count']).toBeGreaterThan(0);
  });
});
