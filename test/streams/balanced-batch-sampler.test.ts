import { describe, expect, it } from 'vitest';
import { OptionsError } from '../../src/core/errors.js';
import { balancedBatchSampler } from '../../src/streams/balanced-batch-sampler.js';

describe('balancedBatchSampler (FuseMedML BatchSamplerDefault, values from fuse/data/utils/tests)', () => {
  it('5 samples, classes [0,1,2,0,0], batch 3 → 3 batches, each with classes 0, 1 and 2', () => {
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const labels = [0, 1, 2, 0, 0];
    const sampler = balancedBatchSampler({ ids, labels, batchSize: 3, seed: 1 });
    expect(sampler.numBatches).toBe(3);
    const batches = sampler.batches(0);
    expect(batches).toHaveLength(3);
    const classOf = new Map(ids.map((id, i) => [id, labels[i]]));
    for (const b of batches) expect(b.map((id) => classOf.get(id)).sort()).toEqual([0, 1, 2]);
    // Class 0 has three samples: over three batches each is seen exactly once.
    expect(batches.flat().filter((id) => classOf.get(id) === 0).sort()).toEqual(['a', 'd', 'e']);
  });

  it('exact mode with weights [1]*5 + [3]*5, batch 20: class fraction exactly weight / 20', () => {
    const n = 6000;
    const ids = Array.from({ length: n }, (_, i) => `m${i}`);
    const labels = ids.map((_, i) => i % 10);
    const weights = [1, 1, 1, 1, 1, 3, 3, 3, 3, 3];
    const sampler = balancedBatchSampler({ ids, labels, batchSize: 20, weights, seed: 3 });
    const batches = sampler.batches(0);
    expect(sampler.numBatches).toBe(600); // max over classes of ceil(600 / weight)
    const counts = new Array<number>(10).fill(0);
    for (const b of batches) {
      expect(b).toHaveLength(20);
      const inBatch = new Array<number>(10).fill(0);
      for (const id of b) bump(inBatch, Number(id.slice(1)) % 10);
      expect(inBatch).toEqual(weights);
      inBatch.forEach((c, k) => bump(counts, k, c));
    }
    const total = batches.length * 20;
    counts.forEach((c, k) => expect(c / total).toBe((weights[k] as number) / 20));
  });

  it('approx mode, 10 classes with weight 0.1, batch 32: each class fraction within 0.1 ± 0.05', () => {
    const n = 6000;
    const ids = Array.from({ length: n }, (_, i) => `m${i}`);
    // Unbalanced source: class k has about (k + 1) / 55 of the samples.
    const labels = ids.map((_, i) => {
      const r = (i * 7919) % 55;
      let k = 0;
      let acc = 1;
      while (r >= acc) acc += ++k + 1;
      return k;
    });
    const sampler = balancedBatchSampler({ ids, labels, batchSize: 32, mode: 'approx', weights: new Array(10).fill(0.1), seed: 5 });
    const batches = sampler.batches(0);
    const classOf = new Map(ids.map((id, i) => [id, labels[i]]));
    const counts = new Array<number>(10).fill(0);
    for (const b of batches) for (const id of b) bump(counts, classOf.get(id) as number);
    const total = batches.length * 32;
    for (const c of counts) expect(Math.abs(c / total - 0.1)).toBeLessThanOrEqual(0.05);
  });

  it('is seeded per epoch, and downSample takes the smallest class count', () => {
    const ids = Array.from({ length: 40 }, (_, i) => `x${i}`);
    const labels = ids.map((_, i) => (i < 30 ? 'neg' : 'pos'));
    const s = balancedBatchSampler({ ids, labels, batchSize: 4, seed: 9 });
    expect(s.batches(0)).toEqual(s.batches(0));
    expect(s.batches(1)).not.toEqual(s.batches(0));
    expect(s.numBatches).toBe(15);
    expect(balancedBatchSampler({ ids, labels, batchSize: 4, numBatches: 'downSample' }).numBatches).toBe(5);
    expect(balancedBatchSampler({ ids, labels, weights: { neg: 1, pos: 3 } }).batchSize).toBe(4);
  });

  it('rejects bad options', () => {
    expect(() => balancedBatchSampler({ ids: ['a'], labels: [] })).toThrow(OptionsError);
    expect(() => balancedBatchSampler({ ids: ['a'], labels: [0] })).toThrow(/batchSize/);
    expect(() => balancedBatchSampler({ ids: ['a', 'b'], labels: [0, 1], weights: [1, 1], batchSize: 3 })).toThrow(/sum/);
    expect(() => balancedBatchSampler({ ids: ['a'], labels: [0], weights: [1, 2] })).toThrow(/no samples/);
    expect(() => balancedBatchSampler({ ids: ['a'], labels: [0], mode: 'approx' })).toThrow(/batchSize/);
  });
});

function bump(counts: number[], k: number, by = 1): void {
  counts[k] = (counts[k] ?? 0) + by;
}
