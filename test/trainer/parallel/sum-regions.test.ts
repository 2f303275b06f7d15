import { describe, expect, it } from 'vitest';
import type { WeightLayout } from '../../../src/trainer/parallel/replica-protocol.js';
import { sumRegions } from '../../../src/trainer/parallel/sum-regions.js';

/** 3 gradient elements, then 2 state elements (batch-norm statistics). */
const layout: WeightLayout = { weights: [], weightFloats: 0, grads: [], regionFloats: 5, gradFloats: 3 };
const regions = [Float32Array.from([0.1, 1, -2, 4, 8]), Float32Array.from([0.2, 2, 2, 6, 10])];

describe('sumRegions (the fixed-order sum of the gradient regions)', () => {
  it('gradients summed in float32 from 0 in slice order; state row-weighted by the shares (hand-computed)', () => {
    const sum = sumRegions(layout, regions, [0.25, 0.75]);
    expect(Array.from(sum)).toEqual([Math.fround(Math.fround(0.1) + Math.fround(0.2)), 3, 0, 0.25 * 4 + 0.75 * 6, 0.25 * 8 + 0.75 * 10]);
  });

  it('into a kept buffer: its old contents are cleared, the result is the same bits as a fresh sum, and the buffer is returned', () => {
    const out = new Float32Array(5).fill(123);
    const fresh = sumRegions(layout, regions, [0.5, 0.5]);
    expect(sumRegions(layout, regions, [0.5, 0.5], out)).toBe(out);
    expect(Array.from(out)).toEqual(Array.from(fresh));
    sumRegions(layout, regions, [1], out); // only region 0
    expect(Array.from(out)).toEqual(Array.from(regions[0] ?? []).map((v) => Math.fround(v)));
  });

  it('refuses a buffer of another length, naming both lengths', () => {
    expect(() => sumRegions(layout, regions, [0.5, 0.5], new Float32Array(4))).toThrow(/out holds 4 elements, a region 5/);
  });
});
