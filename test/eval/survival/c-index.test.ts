import { describe, expect, it } from 'vitest';
import { cIndex, harrellC } from '../../../src/eval/survival/c-index.js';
import { runMetric } from '../../../src/eval/metrics/run-metric.js';
import { Rng } from '../../../src/core/rng.js';

/** The definition, pair by pair (O(n²)), as an independent reference. */
function naive(score: number[], time: number[], event: number[]): number {
  let comp = 0;
  let conc = 0;
  for (let i = 0; i < score.length; i++)
    for (let j = 0; j < score.length; j++) {
      if (!(event[i] === 1 && (time[i] as number) < (time[j] as number))) continue;
      comp++;
      if ((score[i] as number) > (score[j] as number)) conc++;
      else if (score[i] === score[j]) conc += 0.5;
    }
  return conc / comp;
}

describe("Harrell's C-index", () => {
  it('hand-derived: FuseMedML example_17 data', () => {
    // pred [0.1,0.2,0.3,0.4,0.5,0.2,0.1,0.4,0.3,0.7], events [0×5, 1×5], times [1..5, 1..5].
    // Comparable pairs: each event i (times 1..5 on rows 5..9) with every row of a later time:
    // 8 + 6 + 4 + 2 + 0 = 20. Concordant (event's score higher; ties ½): row 5 (0.2) beats row 6
    // and ties row 1 → 1.5; row 6 (0.1) → 0; row 7 (0.4) beats row 8, ties row 3 → 1.5; row 8 → 0.
    const batch = { p: [0.1, 0.2, 0.3, 0.4, 0.5, 0.2, 0.1, 0.4, 0.3, 0.7], e: [0, 0, 0, 0, 0, 1, 1, 1, 1, 1], t: [1, 2, 3, 4, 5, 1, 2, 3, 4, 5] };
    const r = runMetric(cIndex({ pred: 'p', eventTime: 't', eventObserved: 'e' }), () => [batch]).result;
    expect(r).toBeCloseTo(naive(batch.p, batch.t, batch.e), 14);
    expect(harrellC(Float64Array.from(batch.p), Float64Array.from(batch.t), Uint8Array.from(batch.e)).comparable).toBe(20);
    expect(r).toBeCloseTo(3 / 20, 14);
  });
  it('equals the pair-by-pair definition on random data with ties, any batching', () => {
    const rng = Rng.fromParts([1, 'cindex']);
    const n = 400;
    const p = Array.from({ length: n }, () => rng.int(0, 20) / 4);
    const t = Array.from({ length: n }, () => rng.int(1, 60));
    const e = Array.from({ length: n }, () => (rng.bool(0.6) ? 1 : 0));
    const m = cIndex({ pred: 'p', eventTime: 't', eventObserved: 'e' });
    const whole = runMetric(m, () => [{ p, t, e }]).result;
    expect(whole).toBeCloseTo(naive(p, t, e), 12);
    const parts = [0, 100, 250].map((s, i, a) => ({ p: p.slice(s, a[i + 1] ?? n), t: t.slice(s, a[i + 1] ?? n), e: e.slice(s, a[i + 1] ?? n) }));
    expect(runMetric(m, () => parts).result).toBe(whole);
  });
  it('no comparable pair is an error', () => {
    expect(() => runMetric(cIndex({ pred: 'p', eventTime: 't', eventObserved: 'e' }), () => [{ p: [1, 2], t: [1, 2], e: [0, 0] }])).toThrow(/no comparable pair/);
  });
});
