/**
 * scoreSource on float columns: checked probabilities and raw scores pass on as the same typed
 * array (no float64 copy, so the ranking metrics' float32 path applies), with the same results;
 * logits are still converted into a copy.
 */
import { describe, expect, it } from 'vitest';
import { arraySource } from '../../../src/eval/sources/array-source.js';
import { scoreSource } from '../../../src/eval/sources/score-source.js';
import type { SourceBatch } from '../../../src/eval/sources/eval-source.js';
import { evaluate } from '../../../src/eval/evaluate.js';
import { aucRocPr } from '../../../src/eval/metrics/auc-roc-pr.js';
import { brier } from '../../../src/eval/metrics/brier.js';

async function batches(kind: 'probabilities' | 'raw' | 'logits', p: Float32Array | Float64Array): Promise<SourceBatch[]> {
  const out: SourceBatch[] = [];
  await scoreSource(arraySource({ p, y: Int8Array.from([0, 1, 1, 0]) }), { columns: ['p'], kind }).scan(10, (b) => out.push(b));
  return out;
}

describe('scoreSource on float columns', () => {
  it('passes checked float32 and float64 scores on without a copy; converts logits into a float64 copy', async () => {
    const p32 = Float32Array.from([0.25, 0.75, 0.5, 0.125]);
    const p64 = Float64Array.from([0.25, 0.75, 0.5, 0.125]);
    expect((await batches('probabilities', p32))[0]?.columns['p']).toBe(p32);
    expect((await batches('raw', p64))[0]?.columns['p']).toBe(p64);
    const logits = (await batches('logits', p32))[0]?.columns['p'] as Float64Array;
    expect(logits).toBeInstanceOf(Float64Array);
    expect(logits[0]).toBeCloseTo(1 / (1 + Math.exp(-0.25)), 15);
    await expect(batches('probabilities', Float32Array.from([0.5, 1.5, 0, 0]))).rejects.toThrow(/row 1: column 'p': score 1.5 is not a probability/);
  });

  it('gives the same AUC, AUC-PR and Brier score as the same values in float64', async () => {
    const n = 40_000;
    const p32 = new Float32Array(n);
    const y = new Int8Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = (i * 7919) % 10 < 3 ? 1 : 0;
      p32[i] = (((i * 104729) % 1000) + (y[i] as number) * 300) / 1300;
    }
    const run = (p: Float32Array | Float64Array): Promise<{ metrics: unknown; status: unknown; reads: number }> =>
      evaluate({
        data: { p, y },
        metrics: { ranking: aucRocPr({ pred: 'p', target: 'y' }), brier: brier({ pred: 'p', target: 'y' }) },
        scores: { columns: ['p'], kind: 'probabilities' },
        batchSize: 5000,
      }).then((r) => ({ metrics: r.metrics, status: r.status, reads: r.passes }));
    const f32 = await run(p32);
    const f64 = await run(Float64Array.from(p32));
    // Float32 scores are kept by the first pass, so their refinement reads the input once (histogram-kept.ts); float64 ones twice.
    expect([f32.reads, f64.reads]).toEqual([1, 2]);
    expect(JSON.stringify({ ...f32, reads: 0 })).toBe(JSON.stringify({ ...f64, reads: 0 }));
  });
});
