import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
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
    expect(
      batches
        .flat()
        .filter((id) => classOf.get(id) === 0)
        .sort(),
    ).toEqual(['a', 'd', 'e']);
  });

  // FuseMedML runs these two on MNIST train (60,000 labels); Fashion-MNIST train labels stand in.
  const labels = fashionMnistTrainLabels();
  const ids = labels.map((_, i) => `m${i}`);
  const classOf = (id: string): number => labels[Number(id.slice(1))] as number;

  it('exact mode with weights [1]*5 + [3]*5, batch 20: class fraction exactly weight / 20', () => {
    expect(labels).toHaveLength(60000);
    const weights = [1, 1, 1, 1, 1, 3, 3, 3, 3, 3];
    const sampler = balancedBatchSampler({ ids, labels, batchSize: 20, weights, seed: 3 });
    const batches = sampler.batches(0);
    expect(sampler.numBatches).toBe(6000); // max over classes of ceil(6000 / weight)
    const counts = new Array<number>(10).fill(0);
    for (const b of batches) {
      expect(b).toHaveLength(20);
      const inBatch = new Array<number>(10).fill(0);
      for (const id of b) bump(inBatch, classOf(id));
      expect(inBatch).toEqual(weights);
      inBatch.forEach((c, k) => bump(counts, k, c));
    }
    const total = batches.length * 20;
    counts.forEach((c, k) => expect(c / total).toBe((weights[k] as number) / 20));
  });

  it('approx mode, 10 classes with weight 0.1, batch 32: each class count / 60000 within 0.1 ± 0.05', () => {
    const sampler = balancedBatchSampler({ ids, labels, batchSize: 32, mode: 'approx', weights: new Array(10).fill(0.1), seed: 5 });
    const batches = sampler.batches(0);
    const counts = new Array<number>(10).fill(0);
    for (const b of batches) for (const id of b) bump(counts, classOf(id));
    for (const c of counts) expect(Math.abs(c / 60000 - 0.1)).toBeLessThanOrEqual(0.05);
  });

  it('approx mode on an unbalanced source still draws each class near its weight', () => {
    const n = 6000;
    const few = Array.from({ length: n }, (_, i) => `u${i}`);
    // Class k has about (k + 1) / 55 of the samples.
    const skewed = few.map((_, i) => {
      const r = (i * 7919) % 55;
      let k = 0;
      let acc = 1;
      while (r >= acc) acc += ++k + 1;
      return k;
    });
    const sampler = balancedBatchSampler({ ids: few, labels: skewed, batchSize: 32, mode: 'approx', seed: 5 });
    const of = new Map(few.map((id, i) => [id, skewed[i] as number]));
    const counts = new Array<number>(10).fill(0);
    const batches = sampler.batches(0);
    for (const b of batches) for (const id of b) bump(counts, of.get(id) as number);
    for (const c of counts) expect(Math.abs(c / (batches.length * 32) - 0.1)).toBeLessThanOrEqual(0.05);
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

/** The 60,000 Fashion-MNIST train labels (IDX: magic 2049, count, then one byte per label). */
function fashionMnistTrainLabels(): number[] {
  const raw = gunzipSync(readFileSync(new URL('../fixtures/streams/fashion-mnist-train-labels-idx1-ubyte.gz', import.meta.url)));
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (view.getUint32(0) !== 2049) throw new Error('not an IDX label file');
  const n = view.getUint32(4);
  return Array.from(raw.subarray(8, 8 + n));
}
