import { describe, expect, it } from 'vitest';
import { OptionsError } from '../../../src/core/errors.js';
import { getKey, setKeys } from '../../../src/core/sample.js';
import { tensor, type Tensor } from '../../../src/core/tensor.js';
import { computeThreads } from '../../../src/trainer/parallel/compute-threads.js';
import { sliceBatch, sliceBounds } from '../../../src/trainer/parallel/slice-batch.js';

describe('sliceBatch (the fixed split of a batch over replicas)', () => {
  it('covers every row once, in order, with slice sizes differing by at most one', () => {
    for (const size of [1, 2, 3, 7, 64, 65]) {
      for (const n of [1, 2, 3, 8]) {
        const bounds = Array.from({ length: n }, (_, i) => sliceBounds(size, n, i));
        expect(bounds[0]?.start).toBe(0);
        expect(bounds[n - 1]?.end).toBe(size);
        bounds.forEach((b, i) => i > 0 && expect(b.start).toBe(bounds[i - 1]?.end));
        const sizes = bounds.map((b) => b.end - b.start);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }
    }
    // hand-derived: 7 rows over 3 replicas → [0,2) [2,4) [4,7)
    expect([0, 1, 2].map((i) => sliceBounds(7, 3, i))).toEqual([
      { start: 0, end: 2 },
      { start: 2, end: 4 },
      { start: 4, end: 7 },
    ]);
  });

  it('slices tensors, arrays and typed arrays by rows, keeps other values, copies (never shares) data', () => {
    const x = tensor('float32', [5, 2], Float32Array.from([0, 1, 10, 11, 20, 21, 30, 31, 40, 41]));
    const batch = setKeys(
      {},
      { 'data.x': x, 'data.label': [0, 1, 2, 3, 4], 'data.w': Int32Array.from([5, 6, 7, 8, 9]), 'data.classes': tensor('int32', [3], Int32Array.from([1, 2, 3])), 'run.name': 'r' },
    );
    const [a, b] = sliceBatch(batch, 5, 2);
    expect(a?.start).toBe(0);
    expect(a?.end).toBe(2);
    const ax = getKey<Tensor>(a?.batch ?? {}, 'data.x');
    expect(ax.shape).toEqual([2, 2]);
    expect(Array.from(ax.data)).toEqual([0, 1, 10, 11]);
    const bx = getKey<Tensor>(b?.batch ?? {}, 'data.x');
    expect(bx.shape).toEqual([3, 2]);
    expect(Array.from(bx.data)).toEqual([20, 21, 30, 31, 40, 41]);
    expect(getKey(b?.batch ?? {}, 'data.label')).toEqual([2, 3, 4]);
    expect(Array.from(getKey<Int32Array>(b?.batch ?? {}, 'data.w'))).toEqual([7, 8, 9]);
    expect(Array.from(getKey<Tensor>(b?.batch ?? {}, 'data.classes').data)).toEqual([1, 2, 3]);
    expect(getKey(b?.batch ?? {}, 'run.name')).toBe('r');
    expect(ax.data.buffer).not.toBe(x.data.buffer);
  });

  it('leaves out empty slices when the batch has fewer rows than replicas', () => {
    const batch = setKeys({}, { 'data.label': [7, 8] });
    const slices = sliceBatch(batch, 2, 3);
    expect(slices.map((s) => [s.start, s.end])).toEqual([
      [0, 1],
      [1, 2],
    ]);
  });
});

describe('computeThreads', () => {
  it("defaults to 1; 'auto' is the cores less the data workers, at least 1", () => {
    expect(computeThreads()).toBe(1);
    expect(computeThreads({ threads: 3 })).toBe(3);
    expect(computeThreads({ threads: 'auto', cores: 8, dataThreads: 2 })).toBe(6);
    expect(computeThreads({ threads: 'auto', cores: 2, dataThreads: 2 })).toBe(1);
  });

  it('refuses counts that are not positive integers', () => {
    for (const threads of [0, -1, 1.5, Number.NaN]) expect(() => computeThreads({ threads })).toThrow(OptionsError);
    expect(() => computeThreads({ threads: 'auto', dataThreads: -1 })).toThrow(OptionsError);
  });
});
