import { describe, expect, it } from 'vitest';
import { ece } from '../../../src/eval/calibration/ece.js';
import { reliabilityDiagram } from '../../../src/eval/calibration/reliability-diagram.js';
import { applyTemperature, findTemperature } from '../../../src/eval/calibration/temperature.js';
import { runMetric } from '../../../src/eval/metrics/run-metric.js';
import { knightColumns } from '../metrics/fixtures.js';

const classes = ['B', 'LR', 'IR', 'HR', 'VHR'];
const cols = knightColumns();
const logits = classes.map((c) => `z_${c}`);
for (const c of classes) cols[`z_${c}`] = (cols[c] as number[]).map((p) => Math.log(p));
const probs = { preds: classes, target: 'task2' };

describe('calibration (FuseMedML example_13 values)', () => {
  it('reliability diagram: avg accuracy 0.5667, avg confidence 0.4412, bin counts', () => {
    const r = runMetric(reliabilityDiagram(probs), () => [cols]).result;
    expect(r.avg_accuracy).toBeCloseTo(0.5666666666666667, 14);
    expect(r.avg_confidence).toBeCloseTo(0.44118336339791614, 12);
    expect(r.num_samples_per_bin).toEqual([0, 0, 2, 16, 26, 13, 2, 1, 0, 0]);
    expect(r.accuracy.map((a) => Math.round(a * 1e4) / 1e4)).toEqual([0, 0, 0, 0.4375, 0.6923, 0.6154, 0.5, 0, 0, 0]);
  });
  it("ECE with FuseMedML's upper-edge reference: 0.12667 and MCE 0.8; standard ECE differs", () => {
    const r = runMetric(ece({ ...probs, binReference: 'upper-edge' }), () => [cols]).result;
    expect(r.ece).toBeCloseTo(7.6 / 60, 12);
    expect(r.mce).toBeCloseTo(0.8, 12);
    const std = runMetric(ece(probs), () => [cols]).result;
    expect(std.ece).toBeGreaterThan(0);
    expect(std.ece).not.toBeCloseTo(r.ece, 3);
  });
  it("temperature: FuseMedML's LBFGS step gives 0.8076 (3 places); the NLL minimiser 0.8948", () => {
    const t = runMetric(findTemperature({ logits, target: 'task2', method: 'fusemedml' }), () => [cols]).result;
    expect(Math.abs(t - 0.8076)).toBeLessThan(5e-4);
    const best = runMetric(findTemperature({ logits, target: 'task2' }), () => [cols]).result;
    expect(best).toBeCloseTo(0.89478, 4);
  });
  it('after applying T = 0.8076462: ECE 0.1233, MCE 0.3, avg confidence 0.4852', () => {
    const out = applyTemperature({ logits, outKeys: classes.map((c) => `q_${c}`), temperature: 0.8076462 })(cols);
    expect(out).not.toBe(cols);
    const keys = { preds: classes.map((c) => `q_${c}`), target: 'task2' };
    const e = runMetric(ece({ ...keys, binReference: 'upper-edge' }), () => [out]).result;
    // FuseMedML asserts 0.123 to 2 places; the reference note's 0.1233467 is not a multiple of
    // 0.1/60 as an upper-edge ECE of 60 rows must be, ours is 7.4/60.
    expect(Math.abs(e.ece - 0.123)).toBeLessThan(0.005);
    expect(e.ece).toBeCloseTo(7.4 / 60, 12);
    expect(e.mce).toBeCloseTo(0.3, 6);
    const d = runMetric(reliabilityDiagram(keys), () => [out]).result;
    expect(d.avg_confidence).toBeCloseTo(0.4852110244984764, 6);
    expect(d.num_samples_per_bin).toEqual([0, 0, 2, 11, 20, 19, 6, 2, 0, 0]);
  });
});
