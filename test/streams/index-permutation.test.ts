import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OptionsError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { epochOrder } from '../../src/streams/epoch-order.js';
import { feistelPermutation, indexPermutation, LISTED_PERMUTATION_MAX, type IndexPermutation } from '../../src/streams/index-permutation.js';

const all = (p: IndexPermutation): number[] => Array.from({ length: p.length }, (_, i) => p.at(i));
const isBijection = (p: IndexPermutation): boolean => {
  const seen = new Uint8Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const r = p.at(i);
    if (!(Number.isInteger(r) && r >= 0 && r < p.length) || seen[r] === 1) return false;
    seen[r] = 1;
  }
  return true;
};
/** Pearson's chi-square of observed counts against equal expected counts over `cells` cells. */
const chiSquare = (counts: ReadonlyMap<string, number> | readonly number[], cells: number, total: number): number => {
  const e = total / cells;
  const seen = [...counts.values()];
  return seen.reduce((acc, v) => acc + (v - e) ** 2 / e, 0) + (cells - seen.length) * e;
};
/** Upper 1e-4 quantiles of chi-square (scipy.stats.chi2.ppf(1 - 1e-4, df)). */
const CHI2_CRITICAL: Readonly<Record<number, number>> = { 9: 33.72, 99: 160.06, 271: 366.25, 1559: 1775.27 };

describe('feistelPermutation (the large-n permutation)', () => {
  it('is a bijection of [0, n) for n not a power of 2 (and for powers of 2 and their neighbours)', () => {
    for (const n of [2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 100, 255, 256, 257, 1000, 4095, 4096, 4097, 65_537, 100_003]) {
      expect(isBijection(feistelPermutation(n, Rng.fromParts([n, 'bijection'])))).toBe(true);
    }
  });

  it('is a bijection for any n and key (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 5000 }), fc.integer(), (n, seed) => {
        expect(isBijection(feistelPermutation(n, Rng.fromParts([seed])))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('puts a row in each position, and each pair of rows in the first two positions, uniformly over keys (chi-square, p = 1e-4)', () => {
    const first = new Map<string, number>();
    const trials = 20_000;
    for (let s = 0; s < trials; s++) {
      const r = String(feistelPermutation(10, Rng.fromParts([s, 'first'])).at(0));
      first.set(r, (first.get(r) ?? 0) + 1);
    }
    expect(chiSquare(first, 10, trials)).toBeLessThan(CHI2_CRITICAL[9] as number);
    for (const [n, df] of [
      [17, 271],
      [40, 1559],
    ] as const) {
      const pairs = new Map<string, number>();
      const pairTrials = (df + 1) * 100;
      for (let s = 0; s < pairTrials; s++) {
        const p = feistelPermutation(n, Rng.fromParts([s, 'pair']));
        const k = `${p.at(0)},${p.at(1)}`;
        pairs.set(k, (pairs.get(k) ?? 0) + 1);
      }
      expect(chiSquare(pairs, n * (n - 1), pairTrials)).toBeLessThan(CHI2_CRITICAL[df] as number);
    }
  });

  it('mixes 10^8 rows: the first 10^5 positions fall uniformly over 100 row buckets, uncorrelated with the position and with each other', () => {
    const n = 100_000_000;
    const p = feistelPermutation(n, Rng.fromParts([1, 0, 'order', 'feistel']));
    const m = 100_000;
    const rows = Array.from({ length: m }, (_, i) => p.at(i));
    expect(new Set(rows).size).toBe(m);
    const buckets = new Array<number>(100).fill(0);
    for (const r of rows) buckets[Math.floor(r / (n / 100))] = (buckets[Math.floor(r / (n / 100))] as number) + 1;
    expect(chiSquare(buckets, 100, m)).toBeLessThan(CHI2_CRITICAL[99] as number);
    const pearson = (xs: readonly number[], ys: readonly number[]): number => {
      const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
      const my = ys.reduce((a, b) => a + b, 0) / ys.length;
      let sxy = 0;
      let sxx = 0;
      let syy = 0;
      xs.forEach((x, i) => {
        const y = ys[i] as number;
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) ** 2;
        syy += (y - my) ** 2;
      });
      return sxy / Math.sqrt(sxx * syy);
    };
    // Independent draws: |r| has standard deviation 1/sqrt(m) ≈ 0.003.
    expect(
      Math.abs(
        pearson(
          Array.from({ length: m }, (_, i) => i),
          rows,
        ),
      ),
    ).toBeLessThan(0.015);
    expect(Math.abs(pearson(rows.slice(0, -1), rows.slice(1)))).toBeLessThan(0.015);
  });

  it('refuses a position outside [0, n) and a bad length', () => {
    const p = feistelPermutation(70_000, Rng.fromParts([1]));
    expect(() => p.at(-1)).toThrow(RangeError);
    expect(() => p.at(70_000)).toThrow(RangeError);
    expect(() => p.at(0.5)).toThrow(RangeError);
    expect(() => feistelPermutation(1, Rng.fromParts([1]))).toThrow(OptionsError);
  });
});

describe('indexPermutation', () => {
  it('is the string[] path epoch order up to LISTED_PERMUTATION_MAX rows (same seed, same epoch: same order)', () => {
    for (const n of [0, 1, 2, 5, 97, 1000]) {
      const ids = Array.from({ length: n }, (_, i) => i);
      expect(all(indexPermutation(n, { seed: 7, epoch: 3 }))).toEqual(epochOrder(ids, { seed: 7, epoch: 3 }));
    }
    const n = LISTED_PERMUTATION_MAX;
    const ids = Array.from({ length: n }, (_, i) => i);
    expect(all(indexPermutation(n, { seed: 1, epoch: 0 }))).toEqual(epochOrder(ids, { seed: 1, epoch: 0 }));
  });

  it('above it: a bijection, a pure function of (n, seed, epoch), changing with the seed and the epoch', () => {
    const n = LISTED_PERMUTATION_MAX + 3;
    const a = all(indexPermutation(n, { seed: 1, epoch: 0 }));
    expect(isBijection(indexPermutation(n, { seed: 1, epoch: 0 }))).toBe(true);
    expect(all(indexPermutation(n, { seed: 1, epoch: 0 }))).toEqual(a);
    expect(all(indexPermutation(n, { seed: 2, epoch: 0 }))).not.toEqual(a);
    expect(all(indexPermutation(n, { seed: 1, epoch: 1 }))).not.toEqual(a);
    expect(all(indexPermutation(n, { seed: 1, epoch: 0, shuffle: false }))).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it('reaches 2^52 rows without overflow (a sample of positions lands in range, distinct)', () => {
    const n = 2 ** 52;
    const p = indexPermutation(n, { seed: 5, epoch: 0 });
    const rows = [0, 1, 2, 12345, n - 2, n - 1].map((i) => p.at(i));
    rows.forEach((r) => expect(Number.isSafeInteger(r) && r >= 0 && r < n).toBe(true));
    expect(new Set(rows).size).toBe(rows.length);
  });

  it('refuses a bad length', () => {
    expect(() => indexPermutation(-1, { seed: 0, epoch: 0 })).toThrow(OptionsError);
    expect(() => indexPermutation(1.5, { seed: 0, epoch: 0 })).toThrow(OptionsError);
    expect(() => indexPermutation(2 ** 52 + 2, { seed: 0, epoch: 0 })).toThrow(OptionsError);
  });
});
