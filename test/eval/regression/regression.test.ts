import { describe, expect, it } from 'vitest';
import { mae } from '../../../src/eval/regression/mae.js';
import { mse } from '../../../src/eval/regression/mse.js';
import { rmse } from '../../../src/eval/regression/rmse.js';
import { r2 } from '../../../src/eval/regression/r2.js';
import { pearson } from '../../../src/eval/regression/pearson.js';
import { spearman } from '../../../src/eval/regression/spearman.js';
import { runMetric } from '../../../src/eval/metrics/run-metric.js';
import { NumpyRandomState } from '../../../src/eval/stats/numpy-random-state.js';
import { refs } from '../metrics/fixtures.js';

const c = refs.cases.regression;
const keys = { pred: 'p', target: 'y' };
const batches = (size: number) => {
  const out = [];
  for (let s = 0; s < c.pred.length; s += size) out.push({ p: c.pred.slice(s, s + size), y: c.target.slice(s, s + size) });
  return out;
};

describe('regression metrics equal scikit-learn / scipy', () => {
  it('MAE, MSE, RMSE, R² (1e-12) and the same bits at any batch size and sharding', () => {
    for (const [m, want] of [
      [mae(keys), c.mae],
      [mse(keys), c.mse],
      [rmse(keys), c.rmse],
      [r2(keys), c.r2],
    ] as const) {
      const one = runMetric(m, () => batches(500)).result;
      expect(Math.abs(one - want)).toBeLessThan(1e-12);
      expect(runMetric(m, () => batches(7), { shards: 4 }).result).toBe(one);
    }
  });
  it('Pearson and Spearman statistic and p-value', () => {
    const p = runMetric(pearson(keys), () => batches(100)).result;
    expect(p.statistic).toBeCloseTo(c.pearson[0], 12);
    expect(p.p_value / c.pearson[1]).toBeCloseTo(1, 6);
    const s = runMetric(spearman(keys), () => batches(100)).result;
    expect(s.statistic).toBeCloseTo(c.spearman[0], 12);
    expect(s.p_value / c.spearman[1]).toBeCloseTo(1, 6);
  });
  it('FuseMedML test_pearson_correlation: statistic 1.0 on numpy seed 0 data', () => {
    const rs = new NumpyRandomState(0);
    const v = Array.from({ length: 1000 }, () => rs.gauss());
    const r = runMetric(pearson({ pred: 'x1', target: 'x2' }), () => [{ x1: v.map((z) => 100 + 10 * z), x2: v.map((z) => -10 + 3 * z) }]).result;
    expect(r.statistic).toBeCloseTo(1, 12);
    expect(r.p_value).toBe(0);
  });
  it('empty input and constant targets', () => {
    expect(() => runMetric(mae(keys), () => [{ p: [], y: [] }])).toThrow(/at least 1 rows, got 0/);
    expect(() => runMetric(r2(keys), () => [{ p: [1, 2], y: [3, 3] }])).toThrow(/constant/);
    expect(() => runMetric(pearson(keys), () => [{ p: [], y: [] }])).toThrow(/at least 2 rows, got 0/);
    expect(runMetric(pearson(keys), () => [{ p: [1, 2, 3], y: [4, 4, 4] }]).result.statistic).toBeNaN();
    expect(() => runMetric(mse(keys), () => [{ p: [1, Number.NaN], y: [1, 2] }])).toThrow(/row 1.*not a finite number/);
    expect(runMetric(mse({ ...keys, nonFinite: 'skip' }), () => [{ p: [1, Number.NaN], y: [2, 2] }])).toMatchObject({ result: 1, status: { skipped: 1 } });
  });
});
