import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/core/rng.js';
import { addPassRows, emptyPassLike, finishPass, mergePasses, planPass, shareRefineStores, type RefinePass } from '../../../src/eval/metrics/histogram-refine.js';
import { addDense, densify, initHistogram, type ScoreHistogramState } from '../../../src/eval/metrics/score-histogram.js';

/** 50,000 rows whose scores fall in a few dozen open bins (float32 scores, or doubles off the float32 grid when `wide`). */
function rows(wide: boolean): { pred: Float32Array | Float64Array; target: Uint8Array } {
  const n = 50000;
  const pred = wide ? new Float64Array(n) : new Float32Array(n);
  const target = new Uint8Array(n);
  const rng = Rng.fromParts([31, 'refine-store', wide ? 1 : 0]);
  for (let i = 0; i < n; i++) {
    const y = rng.bool(0.35) ? 1 : 0;
    target[i] = y;
    const v = 0.5 + Math.floor((rng.next() * 0.7 + (y ? 0.3 : 0)) * 4000) / 2 ** 16;
    pred[i] = wide ? v + (i % 5) * 1e-13 : v;
  }
  return { pred, target };
}

/** The first pass over all rows. */
function firstPass(pred: Float32Array | Float64Array, target: Uint8Array): ScoreHistogramState {
  const s = initHistogram({ bits: 16, budgetBytes: 1e9, maxFpr: 0.3 });
  densify(s);
  addDense(s, pred, target, pred.length);
  return s;
}

/** Adds rows [from, to) to pass state `p` in pieces of `step` rows. */
function feed(state: ScoreHistogramState, p: RefinePass, pred: Float32Array | Float64Array, target: Uint8Array, from: number, to: number, step: number): void {
  for (let at = from; at < to; at += step) {
    const end = Math.min(to, at + step);
    addPassRows(state, p, pred.subarray(at, end), target.subarray(at, end), end - at);
  }
}

describe('histogram refinement: one row store for every state of a plan', () => {
  for (const [wide, shared] of [
    [false, true],
    [true, true],
    [false, false],
  ] as const) {
    it(`${wide ? 'double' : 'float32'} scores, ${shared ? 'a store marked shared (reserving places)' : 'a store with one writer (one loop)'}: 8 states (clones of one fresh state) fill one store and finish with the bits of one state`, () => {
      const { pred, target } = rows(wide);
      const n = pred.length;
      // Reference: one state over every row.
      const ref = firstPass(pred, target);
      const refPlan = planPass(ref) as RefinePass;
      expect(refPlan.bins.length).toBeGreaterThan(10);
      feed(ref, refPlan, pred, target, 0, n, n);
      finishPass(ref, refPlan);

      const state = firstPass(pred, target);
      const plan = planPass(state) as RefinePass;
      const seed = shared ? shareRefineStores(() => emptyPassLike(plan)) : emptyPassLike(plan);
      const k = plan.bins.length;
      expect(seed.store.rows?.fill[2 * k]).toBe(shared ? 1 : 0);
      // What a worker thread gets: a structured clone of the seed (its SharedArrayBuffers shared, not copied).
      const threads = Array.from({ length: 8 }, () => structuredClone(seed));
      const kept = plan.posTotal + plan.negTotal;
      for (const t of threads) {
        const store = t.store.rows;
        expect(store?.keys.buffer).toBeInstanceOf(SharedArrayBuffer);
        expect(store?.keys.length).toBe(kept);
      }
      // Rows dealt in chunks of 997 to the threads in a scrambled order.
      const chunks = Math.ceil(n / 997);
      for (let c = 0; c < chunks; c++) {
        const t = (c * 5 + 3) % 8;
        feed(state, threads[t] as RefinePass, pred, target, c * 997, Math.min(n, (c + 1) * 997), 400);
      }
      // Every clone sees every row: the store is one memory of `kept` places, all written.
      const fill = (seed.store.rows as NonNullable<RefinePass['store']['rows']>).fill;
      expect(fill.subarray(0, 2 * k).reduce((a, b) => a + b, 0)).toBe(kept);
      let merged = threads[0] as RefinePass;
      for (const t of threads.slice(1)) merged = mergePasses(merged, t);
      expect(merged).toBe(threads[0]);
      finishPass(state, merged);
      expect([...state.refined]).toEqual([...ref.refined]);
    });
  }

  it('states of separate stores (pass files written by other processes) merge by copying, with the same result', () => {
    const { pred, target } = rows(false);
    const n = pred.length;
    const ref = firstPass(pred, target);
    const refPlan = planPass(ref) as RefinePass;
    feed(ref, refPlan, pred, target, 0, n, 4096);
    finishPass(ref, refPlan);

    // Three processes plan the same pass from the same merged state and fold a share each; their states travel through node:v8 (as in pass files).
    const shares = [0, 17000, 30001, n];
    const files = shares.slice(0, 3).map((from, k) => {
      const own = firstPass(pred, target);
      const plan = planPass(own) as RefinePass;
      const p = emptyPassLike(plan);
      feed(own, p, pred, target, from, shares[k + 1] as number, 5000);
      return serialize(p);
    });
    const read = files.map((f) => deserialize(f) as RefinePass);
    expect(read[0]?.store.rows?.keys.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    const merged = read.slice(1).reduce((a, b) => mergePasses(a, b), read[0] as RefinePass);
    const state = firstPass(pred, target);
    planPass(state);
    finishPass(state, merged);
    expect([...state.refined]).toEqual([...ref.refined]);
  });

  it.each([true, false])('refuses more rows in a bin than the first pass counted (the input changed), naming the bin (store shared: %s)', (shared) => {
    const { pred, target } = rows(false);
    const state = firstPass(pred, target);
    const plan = planPass(state) as RefinePass;
    const p = shared ? shareRefineStores(() => emptyPassLike(plan)) : emptyPassLike(plan);
    feed(state, p, pred, target, 0, pred.length, 8192);
    expect(() => feed(state, p, pred, target, 0, 100, 100)).toThrow(
      /refinement pass saw \d+ (positive|negative) rows in bin \d+, the first pass \d+: the input changed between passes/,
    );
  });
});
