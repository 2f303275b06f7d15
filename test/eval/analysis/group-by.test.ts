import { describe, expect, it } from 'vitest';
import { groupBy, perFold } from '../../../src/eval/analysis/group-by.js';
import { accuracy } from '../../../src/eval/metrics/accuracy.js';
import { auc } from '../../../src/eval/metrics/auc.js';
import { runMetric } from '../../../src/eval/metrics/run-metric.js';
import { knightColumns } from '../metrics/fixtures.js';

describe('groupBy / perFold (FuseMedML test values)', () => {
  it('example_2: KNIGHT AUC per fold 0.841 / 0.837, mean = median 0.839, std 0.0019', () => {
    const r = runMetric(perFold({ metric: auc({ pred: 'CanAT', target: 'task1' }), fold: 'fold' }), () => [knightColumns()]).result;
    expect(r['0']).toBeCloseTo(159 / 189, 14);
    expect(r['1']).toBeCloseTo(175 / 209, 14);
    expect(r['mean']).toBeCloseTo(0.8392952077162603, 14);
    expect(r['median']).toBeCloseTo(0.8392952077162603, 14);
    expect(r['std']).toBeCloseTo(0.0019746335535809068, 14);
  });
  it('example_3: AUC per gender, female 1.0 and male 0.666…', () => {
    const batch = {
      pred: [0.1, 0.2, 0.6, 0.7, 0.8, 0.3, 0.6, 0.2, 0.7, 0.9],
      target: [0, 0, 1, 1, 1, 0, 0, 1, 1, 1],
      gender: [...Array<string>(5).fill('female'), ...Array<string>(5).fill('male')],
    };
    const r = runMetric(groupBy({ metric: auc({ pred: 'pred', target: 'target' }), group: 'gender' }), () => [batch]).result;
    expect(r).toMatchObject({ female: 1, male: 4 / 6, mean: 0.8333333333333333, median: 0.8333333333333333 });
    expect(r['std']).toBeCloseTo(0.16666666666666669, 14);
  });
  it('example_11: accuracy of the male subgroup is 0.5 (FuseMedML Filter)', () => {
    const batch = { pred: [0, 1, 0, 0, 0], gender: ['male', 'female', 'female', 'male', 'female'], target: [0, 1, 1, 1, 0] };
    const r = runMetric(groupBy({ metric: accuracy({ pred: 'pred', predType: 'class', target: 'target' }), group: 'gender' }), () => [batch]).result;
    expect(r['male']).toBe(0.5);
  });
  it('a single-class group is an error naming the group, or skipped and listed', () => {
    const batch = { p: [0.1, 0.9, 0.5, 0.6], y: [0, 1, 1, 1], g: ['a', 'a', 'b', 'b'] };
    expect(() => runMetric(groupBy({ metric: auc({ pred: 'p', target: 'y' }), group: 'g' }), () => [batch])).toThrow(/group 'b'.*needs both classes/);
    const r = runMetric(groupBy({ metric: auc({ pred: 'p', target: 'y' }), group: 'g', onGroupError: 'skip' }), () => [batch]).result;
    expect(r).toMatchObject({ a: 1, failed_groups: ['b'], mean: 1 });
  });
  it('same result in one batch, row by row and on 3 shards', () => {
    const cols = knightColumns();
    const rows = (cols['id'] as unknown[]).map((_, i) => Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, [v[i]]])));
    const m = perFold({ metric: auc({ pred: 'CanAT', target: 'task1' }), fold: 'fold' });
    const whole = runMetric(m, () => [cols]).result;
    expect(runMetric(m, () => rows).result).toEqual(whole);
    expect(runMetric(m, () => rows, { shards: 3 }).result).toEqual(whole);
  });
});
