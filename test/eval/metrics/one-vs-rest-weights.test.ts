/**
 * Per-class weights in one-vs-rest averages (FuseMedML's `class_weights`: numpy's
 * `average(values, weights)` over the classes with a value), against sklearn's per-class AUCs of
 * KNIGHT task 2 (sklearn-refs.json) combined by hand.
 */
import { describe, expect, it } from 'vitest';
import { auc } from '../../../src/eval/metrics/auc.js';
import { oneVsRest } from '../../../src/eval/metrics/one-vs-rest.js';
import { runMetric } from '../../../src/eval/metrics/run-metric.js';
import { knightColumns, refs } from './fixtures.js';

const CLASSES = ['B', 'LR', 'IR', 'HR', 'VHR'];

describe('oneVsRest classWeights', () => {
  it('macro_avg is Σ w·AUC_c / Σ w (sklearn per-class AUCs), per-class values unchanged', () => {
    const weights = [0.1, 0.4, 0.2, 0.2, 0.1];
    const r = runMetric(oneVsRest({ preds: CLASSES, target: 'task2', classNames: [0, 1, 2, 3, 4], metric: auc, classWeights: weights }), () => [knightColumns()]).result;
    const per = refs.cases.knight.task2_auc_ovr;
    per.forEach((v, c) => expect(r[String(c)]).toBeCloseTo(v, 12));
    const want = per.reduce((s, v, c) => s + (weights[c] as number) * v, 0) / weights.reduce((a, b) => a + b, 0);
    expect(r['macro_avg']).toBeCloseTo(want, 12);
    // Unnormalised weights give the same average.
    const scaled = runMetric(oneVsRest({ preds: CLASSES, target: 'task2', classNames: [0, 1, 2, 3, 4], metric: auc, classWeights: weights.map((w) => w * 7) }), () => [
      knightColumns(),
    ]).result;
    expect(scaled['macro_avg']).toBeCloseTo(want, 12);
  });
  it('refuses a wrong count or negative / all-zero weights', () => {
    expect(() => oneVsRest({ preds: CLASSES, target: 'task2', metric: auc, classWeights: [1, 2] })).toThrow(/2 classWeights for 5 classes/);
    expect(() => oneVsRest({ preds: CLASSES, target: 'task2', metric: auc, classWeights: [0, 0, 0, 0, 0] })).toThrow(/not all 0/);
    expect(() => oneVsRest({ preds: CLASSES, target: 'task2', metric: auc, classWeights: [1, -1, 0, 0, 0] })).toThrow(/non-negative/);
  });
});
