import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSampleCache } from '../../src/cache/open-cache.js';
import { MissingKeyError, OpError } from '../../src/core/errors.js';
import { createSample, getKey, type Sample } from '../../src/core/sample.js';
import { pipeline, pipelineSpec } from '../../src/ops/pipeline.js';
import { batch } from '../../src/streams/batch.js';
import { createBatchRunner, type BatchRunner } from '../../src/streams/batch-runner.js';
import { batchedDataset } from '../../src/streams/batched-dataset.js';
import { collate } from '../../src/streams/collate.js';
import { dataset } from '../../src/streams/dataset.js';
import { WorkerCrashError } from '../../src/workers/worker-runner.js';
import { failOn, makeVolume, morph, randNoise, scale } from '../cache/test-ops.js';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const ids = Array.from({ length: 22 }, (_, i) => `v${i}`);
const staticOps = pipeline([makeVolume({ key: 'img', size: 4 })], { name: 'static' });
const dynamicOps = pipeline([randNoise({ key: 'img', std: 0.5 }), scale({ key: 'img', factor: 2 })], { name: 'dynamic', opIndexBase: 1 });
const spec = pipelineSpec(dynamicOps);
const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'ff-batched-'));
  dirs.push(d);
  return d;
};

/** The existing per-sample path, in-thread: the reference. */
function reference(size: number, opts: { epoch: number; seed: number; dropLast?: boolean; shard?: { rank: number; worldSize: number } }): Promise<Sample[]> {
  const ds = dataset({ ids, staticPipeline: staticOps, dynamicPipeline: dynamicOps });
  const { dropLast, ...stream } = opts;
  return collect(batch({ size, dropLast: dropLast ?? false })(ds.stream({ ...stream, window: 2 * size })));
}

describe('batchedDataset with batch workers', () => {
  const two = createBatchRunner({ pipeline: spec, threads: 2 });
  const one = createBatchRunner({ pipeline: spec, threads: 1 });
  afterAll(async () => {
    await Promise.all([two.close(), one.close()]);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('equals batch() over dataset.stream bit for bit, with 1 and 2 workers, reading the cache in the workers', async () => {
    const cache = openSampleCache({ dir: tmp(), pipeline: staticOps, audit: false });
    try {
      for (const runner of [two, one]) {
        const bd = batchedDataset({ ids, staticPipeline: staticOps, dynamicPipeline: dynamicOps, store: cache, batchRunner: runner });
        for (const epoch of [0, 1]) {
          // epoch 0 of the first runner: nothing cached yet (static outputs computed here and sent)
          const got = await collect(bd.batches({ size: 5, epoch, seed: 7, window: 2 }));
          const want = await reference(5, { epoch, seed: 7 });
          expect(got).toHaveLength(5); // 22 ids: 4 full batches and one of 2
          expect(got).toEqual(want);
          expect(getKey<{ shape: number[] }>(got[0] as Sample, 'img').shape).toEqual([5, 4, 4, 4]);
        }
      }
      expect(cache.has('v21')).toBe(true);
      const before = two.stats().tasks;
      let sent = 0;
      const counting: BatchRunner = { ...two, runBatch: (r) => ((sent += r.items.filter((i) => i.statics !== undefined).length), two.runBatch(r)) };
      const got = await collect(
        batchedDataset({ ids, staticPipeline: staticOps, dynamicPipeline: dynamicOps, store: cache, batchRunner: counting }).batches({
          size: 8,
          epoch: 3,
          seed: 2,
          dropLast: true,
        }),
      );
      expect(got).toEqual(await reference(8, { epoch: 3, seed: 2, dropLast: true }));
      expect(two.stats().tasks - before).toBe(2); // one task per batch
      expect(sent).toBe(0); // every static output read from the cache by the workers
      // an id the folder does not hold is asked for (the batch stream then sends its static outputs)
      expect(await two.runBatch({ items: [{ id: 'v0' }, { id: 'absent' }], run: { seed: 0, epoch: 0 }, cacheFolder: cache.folder })).toEqual({ kind: 'missing', ids: ['absent'] });
      // a worker whose read snapshot predates a commit reports the id missing: it is sent and the batch is the same
      let reported = false;
      const stale: BatchRunner = {
        ...two,
        runBatch: async (r) => {
          const first = r.items[0];
          if (!reported && first !== undefined && first.statics === undefined) {
            reported = true;
            return { kind: 'missing', ids: [first.id] };
          }
          return two.runBatch(r);
        },
      };
      const retried = await collect(
        batchedDataset({ ids, staticPipeline: staticOps, dynamicPipeline: dynamicOps, store: cache, batchRunner: stale }).batches({ size: 8, epoch: 3, seed: 2, dropLast: true }),
      );
      expect(reported).toBe(true);
      expect(retried).toEqual(got);
    } finally {
      await cache.close();
    }
  });

  it('equals the reference without a store, in-thread, and per shard', async () => {
    const viaWorkers = batchedDataset({ ids, staticPipeline: staticOps, dynamicPipeline: dynamicOps, batchRunner: two });
    const inThread = batchedDataset({ ids, staticPipeline: staticOps, dynamicPipeline: dynamicOps });
    const want = await reference(4, { epoch: 2, seed: 11 });
    expect(await collect(viaWorkers.batches({ size: 4, epoch: 2, seed: 11 }))).toEqual(want);
    expect(await collect(inThread.batches({ size: 4, epoch: 2, seed: 11 }))).toEqual(want);
    const ds = dataset({ ids, staticPipeline: staticOps, dynamicPipeline: dynamicOps });
    const skip = { skipKeys: ['data.label'] };
    const wantSkipped = await collect(batch({ size: 6, dropLast: true, collate: skip })(ds.stream({ epoch: 0, seed: 4 })));
    expect(await collect(viaWorkers.batches({ size: 6, dropLast: true, epoch: 0, seed: 4, collate: skip }))).toEqual(wantSkipped);
    const shard = { rank: 1, worldSize: 2 };
    expect(await collect(viaWorkers.batches({ size: 3, epoch: 1, seed: 5, shard }))).toEqual(await reference(3, { epoch: 1, seed: 5, shard }));
  });

  it('streams nothing for no ids; batches of ids whose pipeline drops or splits hold fewer or more samples', async () => {
    expect(await collect(batchedDataset({ ids: [], staticPipeline: staticOps, dynamicPipeline: dynamicOps, batchRunner: two }).batches({ size: 4 }))).toEqual([]);
    const morphing = pipeline([makeVolume({ key: 'img', size: 4 }), morph({ drop: ['v3'], split: ['v5'] })], { name: 'static' });
    const dyn = pipeline(dynamicOps.ops, { name: 'dynamic', opIndexBase: 2 });
    const runner = createBatchRunner({ pipeline: pipelineSpec(dyn), threads: 1 });
    const bd = batchedDataset({ ids: ids.slice(0, 8), staticPipeline: morphing, dynamicPipeline: dyn, batchRunner: runner });
    const got = await collect(bd.batches({ size: 4, shuffle: false, epoch: 1, seed: 3 })).finally(() => runner.close());
    expect(got.map((b) => getKey<string[]>(b, 'data.sampleId'))).toEqual([
      ['v0', 'v1', 'v2'],
      ['v4', 'v5#0', 'v5#1', 'v6', 'v7'],
    ]);
    const samples = await collect(bd.dataset.stream({ shuffle: false, epoch: 1, seed: 3 }));
    expect(got[1]).toEqual(collate(samples.slice(3)));
  });

  it('refuses a batch runner built for another pipeline', () => {
    expect(() => batchedDataset({ ids, staticPipeline: staticOps, dynamicPipeline: pipeline([scale({ key: 'img', factor: 3 })], { name: 'dynamic' }), batchRunner: two })).toThrow(
      /batch runner/,
    );
  });

  it('resumes by sample position, interchangeably with dataset.stream', async () => {
    const bd = batchedDataset({ ids, staticPipeline: staticOps, dynamicPipeline: dynamicOps, batchRunner: two });
    const full = await reference(4, { epoch: 1, seed: 9 });
    const first = bd.batches({ size: 4, epoch: 1, seed: 9 });
    const head: Sample[] = [];
    for await (const b of first) {
      head.push(b);
      if (head.length === 2) break;
    }
    const state = first.state();
    expect(state).toEqual({ epoch: 1, seed: 9, position: 8 });
    const tail = await collect(bd.batches({ size: 4, resume: state }));
    expect([...head, ...tail]).toEqual(full);
    const viaStream = await collect(batch({ size: 4 })(bd.dataset.stream({ resume: state })));
    expect(viaStream).toEqual(tail);
  });

  it('keeps at most window batches in flight and closes on early break', async () => {
    let sourced = 0;
    const source = (id: string): Sample => {
      sourced++;
      return createSample(id);
    };
    const bd = batchedDataset({ ids, source, staticPipeline: staticOps, dynamicPipeline: dynamicOps, batchRunner: two });
    const size = 3;
    const window = 2;
    const stream = bd.batches({ size, window, epoch: 0, seed: 1 });
    let received = 0;
    for await (const b of stream) {
      received++;
      expect(getKey<string[]>(b, 'data.sampleId')).toHaveLength(size);
      await new Promise((resolve) => setTimeout(resolve, 30)); // a slow consumer
      expect(sourced).toBeLessThanOrEqual((received - 1 + window) * size);
      expect(stream.stats.inFlight).toBeLessThanOrEqual(window);
      if (received === 3) break;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    const after = sourced;
    const tasks = two.stats().tasks;
    expect(after).toBeLessThanOrEqual((received - 1 + window) * size);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sourced).toBe(after); // nothing new starts after the break
    expect(two.stats().tasks).toBe(tasks);
    expect(stream.stats.peakInFlight).toBeLessThanOrEqual(window);
  });

  it('fails with an OpError naming op, op id and sample id', async () => {
    const dyn = pipeline([randNoise({ key: 'img', std: 0.5 }), failOn({ throwOn: ['v6'], exitOn: ['v9'] })], { name: 'dynamic', opIndexBase: 1 });
    const runner = createBatchRunner({ pipeline: pipelineSpec(dyn), threads: 1 });
    try {
      const bd = batchedDataset({ ids, staticPipeline: staticOps, dynamicPipeline: dyn, batchRunner: runner });
      const err = await collect(bd.batches({ size: 4, shuffle: false })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpError);
      expect(err).toMatchObject({ op: 'cacheTest.failOn', opId: bd.dataset.dynamicPipeline.opIds[1], sampleId: 'v6' });
      // a dying worker thread is named too (the batch starting at v8 reaches v9)
      const crash = await collect(bd.batches({ size: 4, shuffle: false, resume: { epoch: 0, seed: 0, position: 8 } })).catch((e: unknown) => e);
      expect(crash).toBeInstanceOf(OpError);
      expect(crash).toMatchObject({ op: 'cacheTest.failOn', sampleId: 'v9' });
      expect((crash as OpError).cause).toBeInstanceOf(WorkerCrashError);
    } finally {
      await runner.close();
    }
  });

  it('names a static op failing on the main thread and a missing key at collation', async () => {
    const bad = batchedDataset({
      ids,
      source: (id) => (id === 'v2' ? createSample(id) : { data: { sampleId: id, extra: 1 } }),
      staticPipeline: staticOps,
      dynamicPipeline: dynamicOps,
      batchRunner: two,
    });
    const err = await collect(bad.batches({ size: 4, shuffle: false })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingKeyError);
    expect((err as MissingKeyError).key).toBe('data.extra');
    expect((err as MissingKeyError).sampleId).toBe('v2');
    const throwing = batchedDataset({
      ids,
      source: (id) => {
        if (id === 'v5') throw new Error('unreadable');
        return createSample(id);
      },
      staticPipeline: staticOps,
      dynamicPipeline: dynamicOps,
      batchRunner: two,
    });
    const e2 = await collect(throwing.batches({ size: 4, shuffle: false })).catch((e: unknown) => e);
    expect(e2).toMatchObject({ op: 'source', sampleId: 'v5' });
  });
});
