import { describe, expect, it } from 'vitest';
import { METRICS_BY_CLI_NAME, accuracy, applyThresholds, auc, brierSkillScore, confusion, confusionMatrix, oneVsRest, runMetric } from '../../../src/eval/metrics/index.js';
import { knightColumns } from './fixtures.js';

const cols = knightColumns();
const classes = ['B', 'LR', 'IR', 'HR', 'VHR'];

describe('FuseMedML eval test values', () => {
  it('example_0/1: KNIGHT task 1 AUC is exactly 0.845', () => {
    expect(runMetric(auc({ pred: 'CanAT', target: 'task1' }), () => [cols]).result).toBe(0.845);
  });
  it('example_8: 5-class one-vs-rest AUC (macro 0.808, B 0.877, VHR 0.723) and the recomputed extras', () => {
    const r = runMetric(oneVsRest({ preds: classes, target: 'task2', metric: auc }), () => [cols]).result;
    expect(r['0']).toBeCloseTo(0.8771929824561403, 14);
    expect(r['4']).toBeCloseTo(0.723404255319149, 14);
    expect(r['macro_avg']).toBeCloseTo(0.8077509663972686, 14);
    const keys = { preds: classes, target: 'task2', classNames: [0, 1, 2, 3, 4] };
    expect(runMetric(accuracy(keys), () => [cols]).result).toBeCloseTo(34 / 60, 14);
    expect(runMetric(confusionMatrix(keys), () => [cols]).result.count).toEqual([
      [2, 1, 0, 0, 0],
      [8, 21, 2, 2, 0],
      [0, 1, 1, 2, 0],
      [0, 0, 1, 5, 1],
      [1, 3, 1, 3, 5],
    ]);
    const c = runMetric(confusion(keys), () => [cols]).result as Record<string, Record<string, number>>;
    expect(c['sensitivity']?.['macro_avg']).toBeCloseTo(0.5303862803862803, 14);
    expect(c['specificity']?.['macro_avg']).toBeCloseTo(0.8864278878202689, 14);
    expect(c['ppv']?.['macro_avg']).toBeCloseTo(0.48790209790209793, 14);
    expect(runMetric(brierSkillScore(keys), () => [cols]).result).toBeCloseTo(0.014488524736320674, 12);
  });
  it('example_12: thresholding at 0.5 then accuracy ≈ 0.615 (8/13)', () => {
    const batch = { target: [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1], pred: [0.3, 0.6, 0.2, 0.1, 0.1, 0.9, 0.23, 0.7, 0.9, 0.4, 0.77, 0.3, 0.89] };
    const withCls = applyThresholds({ pred: 'pred', operationPoint: 0.5, outKey: 'cls' })(batch);
    expect(runMetric(accuracy({ pred: 'cls', predType: 'class', target: 'target' }), () => [withCls]).result).toBeCloseTo(8 / 13, 14);
    expect(runMetric(accuracy({ pred: 'pred', threshold: 0.5, target: 'target' }), () => [batch]).result).toBeCloseTo(8 / 13, 14);
  });
  it('example_18: multi-label AUC, micro ≈ 0.5067 and macro ≈ 0.5064 (numpy seed-42 data)', async () => {
    const { NumpyRandomState } = await import('../../../src/eval/stats/numpy-random-state.js');
    const rs = new NumpyRandomState(42);
    const t = Array.from(rs.randint(0, 2, 400));
    const p = Array.from({ length: 400 }, () => rs.random());
    // targets = randint(0, 2, (100, 4)), preds = rand(100, 4): row-major, label k is column k.
    const col = (a: number[], k: number): number[] => a.filter((_, i) => i % 4 === k);
    const batch: Record<string, number[]> = {};
    for (let k = 0; k < 4; k++) {
      batch[`p${k}`] = col(p, k);
      batch[`t${k}`] = col(t, k);
    }
    const keys = { preds: ['p0', 'p1', 'p2', 'p3'], targets: ['t0', 't1', 't2', 't3'] };
    const { multiLabelAuc } = await import('../../../src/eval/metrics/multi-label-auc.js');
    expect(runMetric(multiLabelAuc(keys), () => [batch]).result).toBeCloseTo(0.5067376684417111, 12);
    expect(runMetric(multiLabelAuc({ ...keys, average: 'macro' }), () => [batch]).result).toBeCloseTo(0.5063689657505515, 12);
    // Batch by batch and on shards: the same.
    const halves = [0, 50].map((s) => Object.fromEntries(Object.entries(batch).map(([k, v]) => [k, v.slice(s, s + 50)])));
    expect(runMetric(multiLabelAuc(keys), () => halves, { shards: 2 }).result).toBe(runMetric(multiLabelAuc(keys), () => [batch]).result);
  });
});

describe('thresholding rules', () => {
  it('argmax ties go to the lower class; per-class thresholds with an argmax fallback; no class = -1', () => {
    const b = { a: [0.4, 0.2, 0.1], b: [0.4, 0.3, 0.2], c: [0.2, 0.5, 0.7] };
    expect(Array.from(applyThresholds({ preds: ['a', 'b', 'c'], outKey: 'k' })(b)['k'] as Int32Array)).toEqual([0, 2, 2]);
    expect(Array.from(applyThresholds({ preds: ['a', 'b', 'c'], operationPoint: [[1, 0.25]], outKey: 'k' })(b)['k'] as Int32Array)).toEqual([1, 1, -1]);
    expect(Array.from(applyThresholds({ preds: ['a', 'b', 'c'], operationPoint: [[1, 0.35], 'argmax'], outKey: 'k' })(b)['k'] as Int32Array)).toEqual([1, 2, 2]);
    // A row with no class counts as wrong for accuracy.
    const acc = accuracy({ preds: ['a', 'b', 'c'], operationPoint: [[1, 0.25]], target: 'y' });
    expect(runMetric(acc, () => [{ ...b, y: [1, 1, 2] }]).result).toBeCloseTo(2 / 3, 14);
  });
  it('a binary score is positive only strictly above the threshold', () => {
    expect(runMetric(accuracy({ pred: 'p', target: 'y', threshold: 0.5 }), () => [{ p: [0.5, 0.5000001], y: [0, 1] }]).result).toBe(1);
  });
});

describe('every CLI metric name builds and computes', () => {
  it.each(Object.keys(METRICS_BY_CLI_NAME))('%s', (name) => {
    const make = METRICS_BY_CLI_NAME[name];
    if (make === undefined) throw new Error(name);
    const regression = ['mae', 'mse', 'rmse', 'r2', 'pearson', 'spearman'].includes(name);
    const m = make({ pred: 'CanAT', target: regression ? 'NoAT' : 'task1' });
    expect(m.name).toBe(name);
    expect(runMetric(m, () => [cols]).result).toBeDefined();
    if (!regression && name !== 'reliability' && name !== 'ece') {
      const multi = make({ preds: classes, target: 'task2_class', classNames: classes });
      expect(runMetric(multi, () => [cols]).result).toBeDefined();
    }
  });
});

describe('example_9 in spirit: uniform random predictions over 10 classes', () => {
  // FuseMedML asserts 0.1 to 2 places on MNIST labels with numpy's stream; for independent
  // draws the standard error is sqrt(0.09 / 10,000) = 0.003, so the bound here is 3.3 σ.
  it('accuracy of 10,000 seeded uniform predictions is within 0.1 ± 0.01, equal at batch size 5 and 10,000', async () => {
    const { Rng } = await import('../../../src/core/rng.js');
    const rng = Rng.fromParts([1234, 'example_9']);
    const pred = Array.from({ length: 10000 }, () => rng.int(0, 9));
    const label = Array.from({ length: 10000 }, () => rng.int(0, 9));
    const m = accuracy({ pred: 'pred', predType: 'class', target: 'label', classNames: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] });
    const whole = runMetric(m, () => [{ pred, label }]).result;
    expect(Math.abs(whole - 0.1)).toBeLessThan(0.01);
    const fives = Array.from({ length: 2000 }, (_, i) => ({ pred: pred.slice(5 * i, 5 * i + 5), label: label.slice(5 * i, 5 * i + 5) }));
    expect(runMetric(m, () => fives).result).toBe(whole);
  });
});

describe('metrics that read other metrics results', () => {
  it('derivedMetric computes from named results through evaluate (dependencies first)', async () => {
    const { evaluate } = await import('../../../src/eval/evaluate.js');
    const { derivedMetric } = await import('../../../src/eval/metrics/index.js');
    const gap = derivedMetric({ name: 'gap', dependsOn: ['a', 'b'], compute: (r) => (r['a'] as number) - (r['b'] as number) });
    const r = await evaluate({
      data: cols,
      metrics: [gap, auc({ name: 'a', pred: 'CanAT', target: 'task1' }), auc({ name: 'b', pred: 'NoAT', target: 'task1' })],
    });
    expect(r.metrics['gap']).toBeCloseTo(0.845 - (1 - 0.845), 12);
    expect(() => runMetric(gap, () => [cols])).toThrow(/needs the result of 'a'/);
  });
});
