/**
 * Pixel and class weights in the overlap metrics: FuseMedML's test_eval_example_seg_3 values
 * (reference §B.20) and hand-derived weighted sums.
 */
import { describe, expect, it } from 'vitest';
import { tensor } from '../../../src/core/tensor.js';
import { dice } from '../../../src/eval/segmentation/dice.js';
import { iou } from '../../../src/eval/segmentation/iou.js';
import { overlap } from '../../../src/eval/segmentation/overlap.js';
import { pixelAccuracy } from '../../../src/eval/segmentation/pixel-accuracy.js';
import { runMetric } from '../../../src/eval/metrics/run-metric.js';
import { SEG3_PRED, SEG3_TARGET } from './fusemedml-seg3.js';

describe('segmentation pixel and class weights', () => {
  it('FuseMedML test_eval_example_seg_3: weight 0.125 everywhere, class weight 1 → Dice 2/3, overlap 1, pixel accuracy 0.5, IoU 0.5', () => {
    const batch = {
      pred: [SEG3_PRED],
      target: [SEG3_TARGET],
      w: [{ '1': tensor('float64', [4, 2], new Float64Array(8).fill(0.125)) }],
    };
    const keys = { pred: 'pred', target: 'target', pixelWeight: 'w', classWeights: { '1': 1 } };
    expect(runMetric(dice(keys), () => [batch]).result['average']).toBeCloseTo(2 / 3, 14);
    expect(runMetric(overlap(keys), () => [batch]).result['average']).toBeCloseTo(1, 14);
    expect(runMetric(pixelAccuracy(keys), () => [batch]).result['average']).toBeCloseTo(0.5, 14);
    expect(runMetric(iou(keys), () => [batch]).result['average']).toBeCloseTo(0.5, 14);
  });

  it('non-uniform pixel weights: weighted counts by hand; a label without an entry is unweighted', () => {
    // 1×6: pred 1 1 2 2 0 1, target 1 2 2 2 1 1; weights for label 1: 1 2 3 4 5 6.
    // Label 1: P = {0,1,5} (1+2+6 = 9), T = {0,4,5} (1+5+6 = 12), P∩T = {0,5} (7) → Dice 14/21, IoU 7/14.
    // Label 2 (no weights): P = {2,3}, T = {1,2,3}, ∩ = 2 → Dice 4/5.
    const batch = {
      pred: [tensor('int32', [1, 6], Int32Array.of(1, 1, 2, 2, 0, 1))],
      target: [tensor('int32', [1, 6], Int32Array.of(1, 2, 2, 2, 1, 1))],
      w: [{ '1': tensor('float64', [1, 6], Float64Array.of(1, 2, 3, 4, 5, 6)) }],
    };
    const d = runMetric(dice({ pred: 'pred', target: 'target', pixelWeight: 'w' }), () => [batch]).result;
    expect(d['1']).toBeCloseTo(14 / 21, 14);
    expect(d['2']).toBeCloseTo(4 / 5, 14);
    expect(runMetric(iou({ pred: 'pred', target: 'target', pixelWeight: 'w' }), () => [batch]).result['1']).toBeCloseTo(0.5, 14);
    // Class weights 3 (label 1) and 1 (label 2): average = (3·14/21 + 4/5) / 4.
    const weighted = runMetric(dice({ pred: 'pred', target: 'target', pixelWeight: 'w', classWeights: { '1': 3, '2': 1 } }), () => [batch]).result;
    expect(weighted['average']).toBeCloseTo((3 * (14 / 21) + 4 / 5) / 4, 14);
    expect(() => runMetric(dice({ pred: 'pred', target: 'target', classWeights: { '1': 1 } }), () => [batch])).toThrow(/no class weight for label 2/);
  });

  it('refuses pixel weights of the wrong size or kind, naming the row', () => {
    const batch = { pred: [[[1, 0]]], target: [[[1, 1]]], w: [tensor('float64', [1, 3], new Float64Array(3))] };
    expect(() => runMetric(dice({ pred: 'pred', target: 'target', pixelWeight: 'w' }), () => [batch])).toThrow(/pixel weights have 3 values for a volume of 2/);
    expect(() => runMetric(dice({ pred: 'pred', target: 'target', pixelWeight: 'w' }), () => [{ ...batch, w: [7] }])).toThrow(/row 0: pixel weights must be a volume/);
  });
});
