/** sortedIndexOf finds what a linear `indexOf` finds in ascending arrays (the linear scan is the reference). */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { sortedIndexOf } from '../../src/core/sorted-index.js';

describe('sortedIndexOf', () => {
  it('equals a linear indexOf for values in, between, below and above ascending arrays of every length 0..40', () => {
    const rng = Rng.fromParts([3, 'sorted-index']);
    for (let n = 0; n <= 40; n++) {
      const values = new Set<number>();
      while (values.size < n) values.add(Math.floor(rng.next() * 200) - 100);
      const sorted = Int32Array.from([...values].sort((a, b) => a - b));
      for (let v = -102; v <= 102; v++) expect(sortedIndexOf(sorted, v), `n ${n}, value ${v}`).toBe(sorted.indexOf(v));
    }
  });

  it('handles the extremes of int32 and an empty array', () => {
    const sorted = Int32Array.of(-(2 ** 31), -1, 0, 2 ** 31 - 1);
    expect(sortedIndexOf(sorted, -(2 ** 31))).toBe(0);
    expect(sortedIndexOf(sorted, 2 ** 31 - 1)).toBe(3);
    expect(sortedIndexOf(sorted, 1)).toBe(-1);
    expect(sortedIndexOf(new Int32Array(0), 0)).toBe(-1);
  });
});
