/**
 * The fused refinement (histogram-kept.ts): the first pass keeps each row's compact key, and the
 * refinement passes are folded from memory — one read of the input, the same bits as the passes
 * over it (the rows given as float64, which the first pass does not keep), equal to an exact
 * sort-based AUC and average precision; the same for 1, 2 and 3 threads; the kept rows released
 * after use, and a budget too small for them falls back to reading again.
 */
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/eval/evaluate.js';
import { keptKib } from '../../../src/eval/metrics/histogram-kept.js';
import { keptRanking } from './kept-metrics.js';
import { sortedAucAp, tiedScores } from './tied-scores.js';
import { exactJson } from '../parallel/family-data.js';

const N = 300_000;
const BATCH = 65_536;
const recipe = (budgetBytes?: number) => ({
  module: new URL('./kept-metrics.ts', import.meta.url).href,
  exportName: 'keptRanking',
  args: budgetBytes === undefined ? [] : [budgetBytes],
});

/** Float32 scores on a 2^-18 grid in [-0.25, 1) (ties, both signs, zeros), targets ~ Bernoulli(0.3) that the scores rank. */
function data(): { pred: Float32Array; target: Int8Array } {
  const rows = tiedScores({ rows: N, seed: 'histogram-kept', gridBits: 18, offset: 0.25 });
  rows.pred[7] = -0;
  rows.pred[8] = 0;
  return rows;
}

describe('fused refinement of the score histogram', () => {
  it('folds the refinement from the kept rows: one read, the bits of the passes over the input, the exact AUC and AP', async () => {
    const { pred, target } = data();
    const fused = await evaluate({ data: { pred, target }, metrics: keptRanking(), batchSize: BATCH });
    expect(fused.passes).toBe(1);
    expect(keptKib()).toBe(0);
    // Float64 scores take the general path, which keeps nothing: the refinement reads the input again.
    const reread = await evaluate({ data: { pred: Float64Array.from(pred), target }, metrics: keptRanking(), batchSize: BATCH });
    expect(reread.passes).toBeGreaterThan(1);
    expect(fused.status['ranking']).toEqual(reread.status['ranking']);
    expect(fused.status['ranking']).toMatchObject({ exact: true });
    // Everything but the number of reads: the same bits.
    expect(exactJson({ ...fused, passes: 0 })).toBe(exactJson({ ...reread, passes: 0 }));
    const ref = sortedAucAp(pred, target);
    const ranking = fused.metrics['ranking'] as { auc: { org: number }; aucpr: { org: number } };
    expect(ranking.auc.org).toBeCloseTo(ref.auc, 13);
    expect(ranking.aucpr.org).toBeCloseTo(ref.ap, 12);
  }, 60_000);

  it('gives the same JSON on 1, 2 and 3 threads (kept rows posted between threads), one read each', async () => {
    const { pred, target } = data();
    const runs: string[] = [];
    for (const threads of [1, 2, 3]) {
      const r = await evaluate({ data: { pred, target }, metrics: recipe(), threads, batchSize: BATCH, segmentRows: BATCH });
      expect(r.passes).toBe(1);
      runs.push(exactJson(r));
    }
    expect(keptKib()).toBe(0);
    for (const run of runs.slice(1)) expect(run).toBe(runs[0]);
    const inThread = await evaluate({ data: { pred, target }, metrics: keptRanking(), batchSize: BATCH });
    expect(exactJson(inThread)).toBe(runs[0]);
  }, 60_000);

  it('falls back to reading the input again when the kept rows would pass the budget, with the same result', async () => {
    const { pred, target } = data();
    // 2 bytes a row would be 600 kB: over a 400 kB budget, which also splits the refinement into passes.
    const small = await evaluate({ data: { pred, target }, metrics: keptRanking(400_000), batchSize: BATCH });
    expect(small.passes).toBeGreaterThan(2);
    expect(keptKib()).toBe(0);
    const reread = await evaluate({ data: { pred: Float64Array.from(pred), target }, metrics: keptRanking(400_000), batchSize: BATCH });
    expect(exactJson(small)).toBe(exactJson(reread));
    // With room for the kept rows, the same passes are folded from memory: the same results and status.
    const fused = await evaluate({ data: { pred, target }, metrics: keptRanking(), batchSize: BATCH });
    expect((fused.metrics['ranking'] as { auc: unknown }).auc).toEqual((small.metrics['ranking'] as { auc: unknown }).auc);
  }, 60_000);
});
