import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tensor } from '../../../src/core/tensor.js';
import { createImage } from '../../../src/core/image.js';
import { dice } from '../../../src/eval/segmentation/dice.js';
import { iou } from '../../../src/eval/segmentation/iou.js';
import { overlap } from '../../../src/eval/segmentation/overlap.js';
import { pixelAccuracy } from '../../../src/eval/segmentation/pixel-accuracy.js';
import { hausdorff } from '../../../src/eval/segmentation/hausdorff.js';
import { runMetric } from '../../../src/eval/metrics/run-metric.js';
import { SEG3_PRED, SEG3_TARGET } from './fusemedml-seg3.js';
import { NumpyRandomState } from '../../../src/eval/stats/numpy-random-state.js';
import { refMasks } from './label-files.js';

const refs = JSON.parse(readFileSync(new URL('../../fixtures/eval/segmentation-refs.json', import.meta.url), 'utf8')) as {
  '3d': { hd95: number; hd100: number; hd95_unit: number; dice: number; iou: number };
  '2d': { hd95: number; hd100: number; hd50: number };
};

function masks2d(): [Uint8Array, Uint8Array] {
  const a = new Uint8Array(30 * 40);
  const b = new Uint8Array(30 * 40);
  let i = 0;
  for (let y = 0; y < 30; y++)
    for (let x = 0; x < 40; x++, i++) {
      a[i] = (y - 14) ** 2 + 2 * (x - 18) ** 2 <= 90 ? 1 : 0;
      b[i] = (y - 16) ** 2 + (x - 21) ** 2 <= 70 || (y >= 27 && x <= 3) ? 1 : 0;
    }
  return [a, b];
}

describe('segmentation metrics', () => {
  const [a3, b3] = refMasks();
  it('Hausdorff 95 / 100 on an anisotropic 3D Image equals the scipy (MONAI definition) reference', () => {
    const geo = { spacing: [0.8, 1.0, 2.5] };
    const batch = { pred: [createImage('uint8', [28, 24, 20], a3, geo)], target: [createImage('uint8', [28, 24, 20], b3, geo)] };
    expect(runMetric(hausdorff({ pred: 'pred', target: 'target' }), () => [batch]).result['1']).toBeCloseTo(refs['3d'].hd95, 10);
    expect(runMetric(hausdorff({ pred: 'pred', target: 'target', percentile: 100 }), () => [batch]).result['1']).toBeCloseTo(refs['3d'].hd100, 10);
    expect(runMetric(hausdorff({ pred: 'pred', target: 'target', spacing: [1, 1, 1] }), () => [batch]).result['1']).toBeCloseTo(refs['3d'].hd95_unit, 10);
    expect(runMetric(dice({ pred: 'pred', target: 'target' }), () => [batch]).result['1']).toBeCloseTo(refs['3d'].dice, 14);
    expect(runMetric(iou({ pred: 'pred', target: 'target' }), () => [batch]).result['1']).toBeCloseTo(refs['3d'].iou, 14);
  });
  it('Hausdorff on a 2D tensor with spacing (x, y) = (1.3, 0.7)', () => {
    const [a, b] = masks2d();
    const batch = { pred: [tensor('uint8', [30, 40], a)], target: [tensor('uint8', [30, 40], b)] };
    for (const [p, want] of [
      [95, refs['2d'].hd95],
      [100, refs['2d'].hd100],
      [50, refs['2d'].hd50],
    ] as const) {
      expect(runMetric(hausdorff({ pred: 'pred', target: 'target', percentile: p, spacing: [1.3, 0.7] }), () => [batch]).result['1']).toBeCloseTo(want, 10);
    }
  });
  it('FuseMedML test_eval_example_seg_1: Dice 500/1002 and IoU 250/752 on numpy seed-0 random volumes', () => {
    const rs = new NumpyRandomState(0);
    const n = 10 * 5 * 5 * 4;
    const pred = Uint8Array.from({ length: n }, () => (rs.random() > 0.5 ? 1 : 0));
    const label = Uint8Array.from({ length: n }, () => (rs.random() > 0.5 ? 1 : 0));
    const batch = { pred: [tensor('uint8', [10, 5, 5, 4], pred)], label: [tensor('uint8', [10, 5, 5, 4], label)] };
    expect(runMetric(dice({ pred: 'pred', target: 'label' }), () => [batch]).result['1']).toBeCloseTo(500 / 1002, 14);
    expect(runMetric(iou({ pred: 'pred', target: 'label' }), () => [batch]).result['1']).toBeCloseTo(250 / 752, 14);
    expect(runMetric(overlap({ pred: 'pred', target: 'label' }), () => [batch]).result['1']).toBeCloseTo(250 / 483, 14);
    expect(runMetric(pixelAccuracy({ pred: 'pred', target: 'label' }), () => [batch]).result['1']).toBeCloseTo(250 / 519, 14);
  });
  it('FuseMedML test_eval_example_seg_3: Hausdorff of [[1,0],[0,1],[1,0],[0,1]] vs all ones is 1.0', () => {
    const batch = {
      pred: [SEG3_PRED],
      target: [SEG3_TARGET],
    };
    expect(runMetric(hausdorff({ pred: 'pred', target: 'target', percentile: 100 }), () => [batch]).result['average']).toBe(1);
    // Its uniform pixel weights leave Dice 2/3, overlap 1, pixel accuracy 0.5, IoU 0.5 as unweighted.
    expect(runMetric(dice({ pred: 'pred', target: 'target' }), () => [batch]).result['average']).toBeCloseTo(2 / 3, 14);
    expect(runMetric(overlap({ pred: 'pred', target: 'target' }), () => [batch]).result['average']).toBe(1);
    expect(runMetric(pixelAccuracy({ pred: 'pred', target: 'target' }), () => [batch]).result['average']).toBe(0.5);
    expect(runMetric(iou({ pred: 'pred', target: 'target' }), () => [batch]).result['average']).toBe(0.5);
  });
  it('multi-label: per-label means over samples whose target has the label, and the average', () => {
    const t1 = tensor('uint8', [2, 3], Uint8Array.from([1, 1, 2, 2, 0, 0]));
    const p1 = tensor('uint8', [2, 3], Uint8Array.from([1, 0, 2, 2, 2, 0]));
    const t2 = tensor('uint8', [2, 3], Uint8Array.from([1, 1, 1, 0, 0, 0]));
    const p2 = tensor('uint8', [2, 3], Uint8Array.from([1, 1, 1, 0, 0, 0]));
    const m = dice({ pred: 'p', target: 't' });
    // Sample 1: label 1 → 2·1/3, label 2 → 2·2/5; sample 2: label 1 → 1 (label 2 absent).
    const r = runMetric(m, () => [
      { p: [p1], t: [t1] },
      { p: [p2], t: [t2] },
    ]).result;
    expect(r['1']).toBeCloseTo((2 / 3 + 1) / 2, 14);
    expect(r['2']).toBeCloseTo(4 / 5, 14);
    expect(r['average']).toBeCloseTo(((2 / 3 + 1) / 2 + 4 / 5) / 2, 14);
    expect(runMetric(m, () => [{ p: [p1, p2], t: [t1, t2] }], { shards: 1 }).result).toEqual(r);
  });
  it('bad input: shape mismatch, no volume, a label missing from the prediction (counted)', () => {
    const t = tensor('uint8', [2, 2], Uint8Array.from([1, 1, 0, 0]));
    expect(() => runMetric(dice({ pred: 'p', target: 't' }), () => [{ p: [tensor('uint8', [4], Uint8Array.from([1, 1, 0, 0]))], t: [t] }])).toThrow(
      /shape \[4\] differs from target shape \[2, 2\]/,
    );
    expect(() => runMetric(dice({ pred: 'p', target: 't' }), () => [{ p: [3], t: [t] }])).toThrow(/row 0.*Tensor/);
    const r = runMetric(hausdorff({ pred: 'p', target: 't' }), () => [{ p: [t, tensor('uint8', [2, 2], new Uint8Array(4))], t: [t, t] }]);
    expect(r.status.skipped).toBe(1);
    expect(r.result['1']).toBe(0);
  });
});
