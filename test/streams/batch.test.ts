import { describe, expect, it } from 'vitest';
import { createSample, getKey, setKey, type Sample } from '../../src/core/sample.js';
import type { Tensor } from '../../src/core/tensor.js';
import { balancedBatchSampler } from '../../src/streams/balanced-batch-sampler.js';
import { balancedBatches } from '../../src/streams/balanced-batches.js';
import { batch } from '../../src/streams/batch.js';
import { dataset } from '../../src/streams/dataset.js';
import { addTo, ids, randValue } from './helpers.js';

async function collect<T>(it: AsyncIterable<T>, limit = Infinity): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) {
    out.push(x);
    if (out.length >= limit) break;
  }
  return out;
}

describe('batch', () => {
  const ds = dataset({ ids: ids(10), source: (id) => setKey(createSample(id), 'data.label', Number(id.slice(1)) % 2), dynamicPipeline: [addTo({ key: 'data.x', by: 1 })] });

  it('groups and collates, with and without dropLast', async () => {
    const all = await collect(batch({ size: 4 })(ds.stream({ shuffle: false, window: 8 })));
    expect(all.map((b) => getKey<string[]>(b, 'data.sampleId').length)).toEqual([4, 4, 2]);
    expect(getKey(all[0] as Sample, 'data.sampleId')).toEqual(['s0', 's1', 's2', 's3']);
    expect(Array.from(getKey<Tensor>(all[0] as Sample, 'data.label').data)).toEqual([0, 1, 0, 1]);
    const dropped = await collect(batch({ size: 4, dropLast: true })(ds.stream({ shuffle: false })));
    expect(dropped).toHaveLength(2);
  });

  it('empty input gives no batch', async () => {
    expect(await collect(batch({ size: 3 })(dataset({ ids: [] }).stream()))).toEqual([]);
  });

  it('breaking out of the batch loop closes the upstream stream', async () => {
    let built = 0;
    const big = dataset({
      ids: ids(1000),
      source: (id) => {
        built++;
        return createSample(id);
      },
    });
    const stream = big.stream({ window: 8 });
    const first = await collect(batch({ size: 4 })(stream), 1);
    expect(first).toHaveLength(1);
    const at = built;
    await new Promise((r) => setTimeout(r, 10));
    expect(built).toBe(at);
    expect(built).toBeLessThanOrEqual(4 + 8);
  });

  it('passes an upstream error through after the batches before it', async () => {
    const failing = dataset({
      ids: ids(10),
      source: (id) => {
        if (id === 's6') throw new Error('unreadable');
        return createSample(id);
      },
    });
    const got: number[] = [];
    const err = await (async () => {
      for await (const b of batch({ size: 3 })(failing.stream({ shuffle: false }))) got.push(getKey<string[]>(b, 'data.sampleId').length);
    })().catch((e: unknown) => e);
    expect(got).toEqual([3, 3]);
    expect((err as Error).message).toMatch(/'s6'.*unreadable/);
  });

  it('rejects a bad size', () => {
    expect(() => batch({ size: 0 })).toThrow(/size/);
  });
});

describe('balancedBatches', () => {
  it('streams collated class-balanced batches, seeded', async () => {
    const labels = ids(12).map((_, i) => (i < 9 ? 0 : 1));
    const ds = dataset({
      ids: ids(12),
      source: (id) => setKey(createSample(id), 'data.label', labels[Number(id.slice(1))]),
      dynamicPipeline: [randValue({ key: 'data.r' })],
    });
    const sampler = balancedBatchSampler({ ids: ids(12), labels, batchSize: 4, seed: 2 });
    const a = await collect(balancedBatches(ds, { sampler, epoch: 0, seed: 1 }));
    const b = await collect(balancedBatches(ds, { sampler, epoch: 0, seed: 1 }));
    expect(a).toHaveLength(sampler.numBatches);
    expect(a).toEqual(b);
    for (const x of a) expect(Array.from(getKey<Tensor>(x, 'data.label').data).sort()).toEqual([0, 0, 1, 1]);
    // Two ranks split the batches between them.
    const r0 = await collect(balancedBatches(ds, { sampler, epoch: 0, seed: 1, shard: { rank: 0, worldSize: 2 } }));
    const r1 = await collect(balancedBatches(ds, { sampler, epoch: 0, seed: 1, shard: { rank: 1, worldSize: 2 } }));
    expect(r0.length + r1.length).toBe(a.length);
    expect(r0[0]).toEqual(a[0]);
    expect(r1[0]).toEqual(a[1]);
  });
});
