import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/core/rng.js';
import { auc } from '../../../src/eval/metrics/auc.js';
import { aucPr } from '../../../src/eval/metrics/aucpr.js';
import { runMetric } from '../../../src/eval/metrics/run-metric.js';
import { midranks } from '../../../src/eval/compare/delong.js';
import type { EvalBatch } from '../../../src/eval/metric.js';

/** Mann–Whitney AUC from midranks: an independent exact reference. */
function rankAuc(pred: ArrayLike<number>, target: ArrayLike<number>): number {
  const r = midranks(Float64Array.from(pred));
  let P = 0;
  let sum = 0;
  for (let i = 0; i < target.length; i++) {
    if (target[i] === 1) {
      P++;
      sum += r[i] as number;
    }
  }
  const N = target.length - P;
  return (sum - (P * (P + 1)) / 2) / (P * N);
}

/** Average precision by its definition over the distinct thresholds. */
function refAp(pred: ArrayLike<number>, target: ArrayLike<number>): number {
  const idx = Array.from({ length: pred.length }, (_, i) => i).sort((a, b) => (pred[b] as number) - (pred[a] as number));
  let tp = 0;
  let fp = 0;
  let P = 0;
  for (let i = 0; i < target.length; i++) P += target[i] === 1 ? 1 : 0;
  let ap = 0;
  for (let k = 0; k < idx.length;) {
    const v = pred[idx[k] as number];
    let dp = 0;
    while (k < idx.length && pred[idx[k] as number] === v) {
      if (target[idx[k] as number] === 1) dp++;
      else fp++;
      k++;
    }
    tp += dp;
    if (dp > 0) ap += (dp / P) * (tp / (tp + fp));
  }
  return ap;
}

describe('score histogram: exact refinement within a memory budget', () => {
  // 60,000 float32 scores packed into few histogram bins (large bins: the counting-sort path).
  const n = 60000;
  const pred = new Float32Array(n);
  const target = new Uint8Array(n);
  const rng = Rng.fromParts([9, 'dense-bins']);
  for (let i = 0; i < n; i++) {
    const y = rng.bool(0.4) ? 1 : 0;
    target[i] = y;
    pred[i] = 0.5 + Math.floor((rng.next() * 0.6 + (y ? 0.4 : 0)) * 30000) / 2 ** 20;
  }
  const batch: EvalBatch = { pred, target };
  const exact = rankAuc(pred, target);
  const exactAp = refAp(pred, target);
  it('one refinement pass gives the exact AUC and AP', () => {
    const r = runMetric(auc({ pred: 'pred', target: 'target' }), () => [batch]);
    expect(r.status).toMatchObject({ exact: true, passes: 1, bound: 0 });
    expect(Math.abs(r.result - exact)).toBeLessThan(1e-12);
    expect(Math.abs(runMetric(aucPr({ pred: 'pred', target: 'target' }), () => [batch]).result - exactAp)).toBeLessThan(1e-12);
  });
  it('without passes the result is the midpoint with a bound that contains the exact value', () => {
    const r = runMetric(auc({ pred: 'pred', target: 'target', maxPasses: 0 }), () => [batch]);
    expect(r.status.exact).toBe(false);
    expect(r.status.bound).toBeGreaterThan(0);
    expect(Math.abs(r.result - exact)).toBeLessThanOrEqual(r.status.bound);
    const ap = runMetric(aucPr({ pred: 'pred', target: 'target', maxPasses: 0 }), () => [batch]);
    expect(Math.abs(ap.result - exactAp)).toBeLessThanOrEqual(ap.status.bound);
  });
  it('a small budget takes several passes and still ends exact; a bin larger than the budget stays bounded', () => {
    const r = runMetric(auc({ pred: 'pred', target: 'target', budgetBytes: 40000 }), () => [batch]);
    expect(r.status.passes).toBeGreaterThan(2);
    expect(r.status.exact).toBe(true);
    expect(Math.abs(r.result - exact)).toBeLessThan(1e-12);
    const tiny = runMetric(auc({ pred: 'pred', target: 'target', budgetBytes: 2000 }), () => [batch]);
    expect(tiny.status.exact).toBe(false);
    expect(Math.abs(tiny.result - exact)).toBeLessThanOrEqual(tiny.status.bound);
  });
  it('float64 scores that are not float32 values are refined exactly (8-byte rows)', () => {
    const p64 = Float64Array.from(pred, (v, i) => v + (i % 7) * 1e-12);
    const r = runMetric(auc({ pred: 'pred', target: 'target' }), () => [{ pred: p64, target }]);
    expect(r.status.exact).toBe(true);
    expect(Math.abs(r.result - rankAuc(p64, target))).toBeLessThan(1e-12);
  });
  it('same bits at batch sizes 1, 1000, all and on 8 shards, including the pass', () => {
    const cut = (size: number): EvalBatch[] => {
      const out: EvalBatch[] = [];
      for (let s = 0; s < n; s += size) out.push({ pred: pred.subarray(s, s + size), target: target.subarray(s, s + size) });
      return out;
    };
    const m = auc({ pred: 'pred', target: 'target' });
    const one = runMetric(m, () => [batch]).result;
    for (const [size, shards] of [
      [1, 1],
      [1000, 1],
      [1000, 8],
      [7, 8],
    ] as const)
      expect(runMetric(m, () => cut(size), { shards }).result).toBe(one);
  });
});
