import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/core/rng.js';
import { multinomialResample } from '../../../src/eval/stats/multinomial.js';
import { poisson } from '../../../src/eval/stats/poisson.js';
import { ExactSum, exactSum } from '../../../src/eval/stats/exact-sum.js';
import { binomialCdf, regularizedBeta, studentTwoSidedP } from '../../../src/eval/stats/beta.js';
import { normalCdf, normalQuantile, twoSidedP } from '../../../src/eval/stats/normal.js';

describe('multinomial resampling', () => {
  it('keeps the total and matches Multinomial moments (large and small groups)', () => {
    const counts = [5, 0, 3, 100000, 2, 40];
    const n = counts.reduce((a, b) => a + b, 0);
    const reps = 2000;
    const sum = new Float64Array(counts.length);
    const sq = new Float64Array(counts.length);
    const rng = Rng.fromParts([3, 'multinomial']);
    const out = new Float64Array(counts.length);
    for (let r = 0; r < reps; r++) {
      multinomialResample(rng, counts, out);
      expect(out.reduce((a, b) => a + b, 0)).toBe(n);
      expect(out[1]).toBe(0);
      out.forEach((v, g) => {
        sum[g] = (sum[g] as number) + v;
        sq[g] = (sq[g] as number) + v * v;
      });
    }
    counts.forEach((c, g) => {
      const p = c / n;
      const mean = (sum[g] as number) / reps;
      const variance = (sq[g] as number) / reps - mean * mean;
      const sd = Math.sqrt(n * p * (1 - p));
      expect(Math.abs(mean - c)).toBeLessThan(4.5 * (sd / Math.sqrt(reps)) + 1e-9);
      if (c > 0) expect(variance / (sd * sd)).toBeGreaterThan(0.8);
      if (c > 0) expect(variance / (sd * sd)).toBeLessThan(1.2);
    });
  });
  it('two items: the first group count is Binomial(2, 1/2)', () => {
    const rng = Rng.fromParts([4, 'multinomial']);
    const freq = [0, 0, 0];
    const out = new Float64Array(2);
    for (let r = 0; r < 8000; r++) {
      multinomialResample(rng, [1, 1], out);
      freq[out[0] as number]!++;
    }
    expect(Math.abs((freq[0] as number) / 8000 - 0.25)).toBeLessThan(0.02);
    expect(Math.abs((freq[1] as number) / 8000 - 0.5)).toBeLessThan(0.02);
  });
  it('Poisson draws have mean and variance λ (small and large λ)', () => {
    const rng = Rng.fromParts([5, 'poisson']);
    for (const lambda of [0.7, 4, 37, 5000]) {
      let s = 0;
      let s2 = 0;
      const n = 20000;
      for (let i = 0; i < n; i++) {
        const x = poisson(rng, lambda);
        s += x;
        s2 += x * x;
      }
      const mean = s / n;
      expect(Math.abs(mean - lambda)).toBeLessThan(5 * Math.sqrt(lambda / n));
      expect((s2 / n - mean * mean) / lambda).toBeCloseTo(1, 1);
    }
  });
});

describe('exact sums and distributions', () => {
  it('ExactSum is exactly rounded and order independent', () => {
    const xs = [1e100, 1, -1e100, 1e-100, 0.1, 0.2, 0.3, -0.6];
    expect(exactSum(xs)).toBe(1); // Python's math.fsum of the same list
    expect(exactSum([0.1, 0.2, 0.3])).toBe(0.6); // naive left-to-right gives 0.6000000000000001
    const rev = exactSum([...xs].reverse());
    expect(rev).toBe(exactSum(xs));
    const a = new ExactSum();
    const b = new ExactSum();
    xs.forEach((x, i) => (i % 2 ? a : b).add(x));
    expect(a.clone().addSum(b).value()).toBe(exactSum(xs));
  });
  it('normal, beta, binomial and t tails against scipy values', () => {
    expect(normalCdf(-3)).toBeCloseTo(0.0013498980316300933, 15);
    expect(twoSidedP(1.6719928661789871)).toBeCloseTo(0.09452572880559044, 14);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 12);
    expect(binomialCdf(1, 10, 0.5)).toBeCloseTo(11 / 1024, 14);
    expect(regularizedBeta(0.3, 2.5, 4)).toBeCloseTo(0.3521975859067672, 12); // scipy.special.betainc(2.5, 4, 0.3)
    expect(studentTwoSidedP(2.1, 17)).toBeCloseTo(0.05095984722913401, 12); // 2 * scipy.stats.t.sf(2.1, 17)
  });
});

describe('ExactSum against exact integer arithmetic', () => {
  it('rounds the exact sum of terms of mixed magnitude and sign, as partials grow and shrink', () => {
    // Terms m · 2^e (|m| < 2^53, e in [-30, 30]): their exact sum times 2^30 is an integer, which
    // BigInt holds exactly and Number() rounds half to even; dividing by 2^30 is exact.
    const rng = Rng.fromParts(['exact-sum', 'bigint']);
    for (let trial = 0; trial < 200; trial++) {
      const s = new ExactSum();
      let exact = 0n;
      const n = 1 + rng.int(0, 400);
      for (let i = 0; i < n; i++) {
        const m = Math.floor((rng.uniform() * 2 - 1) * 2 ** 53);
        const e = rng.int(-30, 31);
        const x = m * 2 ** e;
        s.add(x);
        exact += BigInt(m) * 2n ** BigInt(e + 30);
        if (i % 37 === 0) expect(s.value()).toBe(Number(exact) / 2 ** 30);
      }
      expect(s.value()).toBe(Number(exact) / 2 ** 30);
    }
  });
});

describe('multinomial resampling above exactUpTo', () => {
  it('uses Poisson draws (total near, not equal to, n) past the threshold, exact below', () => {
    const rng = Rng.fromParts([6, 'multinomial-big']);
    const counts = [600, 400];
    const out = new Float64Array(2);
    let differs = 0;
    for (let r = 0; r < 50; r++) {
      multinomialResample(rng, counts, out, 500);
      if (out[0]! + out[1]! !== 1000) differs++;
      expect(Math.abs(out[0]! + out[1]! - 1000)).toBeLessThan(200);
    }
    expect(differs).toBeGreaterThan(40);
    multinomialResample(rng, counts, out, 1000);
    expect(out[0]! + out[1]!).toBe(1000);
  });
});
