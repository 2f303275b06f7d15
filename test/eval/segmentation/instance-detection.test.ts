/**
 * Detection precision/recall of instance masks (FuseMedML's calculate_precision/recall over
 * per-sample IoU matrices) against hand-computed IoUs.
 */
import { describe, expect, it } from 'vitest';
import { tensor } from '../../../src/core/tensor.js';
import { instanceDetection, instanceIou } from '../../../src/eval/segmentation/instance-detection.js';
import { runMetric } from '../../../src/eval/metrics/run-metric.js';

describe('instanceDetection', () => {
  // Sample 1 (1×10): truth instances 1 = {0..3}, 2 = {6..9}; predictions 5 = {0..2} (IoU 3/4 with 1), 7 = {5..6} (IoU 1/5 with 2), 9 = {8} (IoU 1/4 with 2).
  const t1 = Int32Array.of(1, 1, 1, 1, 0, 0, 2, 2, 2, 2);
  const p1 = Int32Array.of(5, 5, 5, 0, 0, 7, 7, 0, 9, 0);
  // Sample 2: truth 1 = {0..4}; prediction 3 = {0..4} (IoU 1), 4 = {7..9} (no overlap).
  const t2 = Int32Array.of(1, 1, 1, 1, 1, 0, 0, 0, 0, 0);
  const p2 = Int32Array.of(3, 3, 3, 3, 3, 0, 0, 4, 4, 4);
  it('the IoU matrix by hand', () => {
    const m = instanceIou(p1, t1);
    expect(m.pred).toEqual([5, 7, 9]);
    expect(m.truth).toEqual([1, 2]);
    expect(m.iou).toEqual([
      [3 / 4, 0],
      [0, 1 / 5],
      [0, 1 / 4],
    ]);
  });
  it('precision and recall at 0.2 and 0.5, averaged over samples; batches and merge agree', () => {
    // Best IoU per truth: sample 1 [0.75, 0.25], sample 2 [1].
    // 0.2: s1 detects 2 → P 2/3, R 2/2; s2 detects 1 → P 1/2, R 1 → P (2/3 + 1/2)/2, R 1.
    // 0.5: s1 detects 1 → P 1/3, R 1/2; s2 P 1/2, R 1 → P (1/3 + 1/2)/2, R 3/4.
    const batch = { pred: [tensor('int32', [1, 10], p1), tensor('int32', [1, 10], p2)], target: [tensor('int32', [1, 10], t1), tensor('int32', [1, 10], t2)] };
    const m = () => instanceDetection({ pred: 'pred', target: 'target', thresholds: [0.2, 0.5] });
    const r = runMetric(m(), () => [batch]).result;
    expect(r.precision['0.2']).toBeCloseTo((2 / 3 + 1 / 2) / 2, 14);
    expect(r.recall['0.2']).toBeCloseTo(1, 14);
    expect(r.precision['0.5']).toBeCloseTo((1 / 3 + 1 / 2) / 2, 14);
    expect(r.recall['0.5']).toBeCloseTo(3 / 4, 14);
    const split = runMetric(m(), () => [
      { pred: [batch.pred[0]], target: [batch.target[0]] },
      { pred: [batch.pred[1]], target: [batch.target[1]] },
    ]).result;
    expect(split).toEqual(r);
  });
  it('a sample without predictions has no precision (counted); thresholds are checked', () => {
    const r = runMetric(instanceDetection({ pred: 'pred', target: 'target' }), () => [
      { pred: [tensor('int32', [1, 10], new Int32Array(10))], target: [tensor('int32', [1, 10], t2)] },
    ]).result;
    expect(r.precision['0.5']).toBeNaN();
    expect(r.recall['0.5']).toBe(0);
    expect(r.left_out).toEqual({ no_prediction: 1, no_truth: 0 });
    expect(() => instanceDetection({ pred: 'p', target: 't', thresholds: [1.5] })).toThrow(/thresholds must be numbers in \[0, 1\)/);
  });
});
