import { describe, expect, it } from 'vitest';
import { rocBand, tprAt } from '../../../src/eval/report/roc-band.js';
import { OptionsError } from '../../../src/core/errors.js';

// 8 positives, 12 negatives, interleaved scores (hand-built ROC steps of one row each).
const order = [1, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0];
const curve = (() => {
  const fpr = [0];
  const tpr = [0];
  let tp = 0;
  let fp = 0;
  for (const y of order) {
    if (y === 1) tp++;
    else fp++;
    fpr.push(fp / 12);
    tpr.push(tp / 8);
  }
  return { fpr, tpr };
})();

describe('rocBand', () => {
  it('reads the curve on the grid (highest point on vertical steps)', () => {
    expect(tprAt(curve.fpr, curve.tpr, 0)).toBe(2 / 8);
    expect(tprAt(curve.fpr, curve.tpr, 1 / 12)).toBe(3 / 8);
    expect(tprAt(curve.fpr, curve.tpr, 1)).toBe(1);
    expect(tprAt([0, 1], [0, 1], 0.3)).toBeCloseTo(0.3, 15);
  });

  it('is seeded: the same seed gives the same band, another seed another', () => {
    const a = rocBand(curve, { positives: 8, negatives: 12, replicates: 100, seed: 3 });
    const b = rocBand(curve, { positives: 8, negatives: 12, replicates: 100, seed: 3 });
    const c = rocBand(curve, { positives: 8, negatives: 12, replicates: 100, seed: 4 });
    expect(b).toEqual(a);
    expect(c.lower).not.toEqual(a.lower);
  });

  it('brackets the curve and is ordered', () => {
    const band = rocBand(curve, { positives: 8, negatives: 12, replicates: 400, seed: 1, grid: 21 });
    expect(band.fpr).toHaveLength(21);
    let inside = 0;
    band.fpr.forEach((x, i) => {
      const lo = band.lower[i] as number;
      const hi = band.upper[i] as number;
      expect(lo).toBeLessThanOrEqual(hi);
      expect(lo).toBeGreaterThanOrEqual(0);
      expect(hi).toBeLessThanOrEqual(1);
      const y = tprAt(curve.fpr, curve.tpr, x);
      if (y >= lo && y <= hi) inside++;
    });
    expect(inside).toBeGreaterThanOrEqual(19);
    expect(band.upper[20]).toBe(1);
  });

  it('collapses to the curve for a perfect classifier', () => {
    const band = rocBand({ fpr: [0, 0, 1], tpr: [0, 1, 1] }, { positives: 50, negatives: 50, replicates: 50 });
    expect(new Set(band.lower)).toEqual(new Set([1]));
    expect(new Set(band.upper)).toEqual(new Set([1]));
  });

  it('rejects bad curves and options', () => {
    expect(() => rocBand({ fpr: [0, 0.5], tpr: [0, 1] }, { positives: 1, negatives: 1 })).toThrow(OptionsError);
    expect(() => rocBand(curve, { positives: 0, negatives: 12 })).toThrow(/positive integers/);
    expect(() => rocBand(curve, { positives: 8, negatives: 12, confidence: 100 })).toThrow(/confidence/);
  });
});
