import { afterAll, describe, expect, it } from 'vitest';
import { sampleIdOf, type Sample } from '../../src/core/sample.js';
import { pipeline, pipelineSpec } from '../../src/ops/pipeline.js';
import { batch } from '../../src/streams/batch.js';
import { dataset } from '../../src/streams/dataset.js';
import { createWorkerRunner } from '../../src/workers/worker-runner.js';
import { makeVolume, randNoise, scale } from '../cache/test-ops.js';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('dataset with the piscina worker runner', () => {
  const staticOps = [makeVolume({ key: 'img', size: 4 })];
  const dyn = pipeline([randNoise({ key: 'img', std: 0.5 }), scale({ key: 'img', factor: 2 })], { name: 'dynamic', opIndexBase: 1 });
  const runner = createWorkerRunner({ pipeline: pipelineSpec(dyn), threads: 2, samplesPerTask: 4 });
  afterAll(() => runner.close());
  const ids = Array.from({ length: 40 }, (_, i) => `v${i}`);

  it('streams the same samples as in-thread, under the window, with several samples per task', async () => {
    const inThread = dataset({ ids, staticPipeline: staticOps, dynamicPipeline: dyn });
    const viaWorkers = dataset({ ids, staticPipeline: staticOps, dynamicPipeline: dyn, runner });
    const expected = await collect(inThread.stream({ epoch: 1, seed: 3 }));
    const stream = viaWorkers.stream({ epoch: 1, seed: 3, window: 16 });
    const got: Sample[] = [];
    for await (const s of stream) got.push(s);
    expect(got.map(sampleIdOf)).toEqual(expected.map(sampleIdOf));
    expect(got).toEqual(expected);
    expect(stream.stats.peakInFlight).toBeLessThanOrEqual(16);
    const { tasks, samples } = runner.stats();
    expect(samples).toBe(40);
    expect(tasks).toBeLessThan(40); // ids ready together share runner calls and tasks
  });

  it('feeds collated batches to a trainer-shaped consumer', async () => {
    const ds = dataset({ ids, staticPipeline: staticOps, dynamicPipeline: dyn, runner });
    const batches = await collect(batch({ size: 8, dropLast: true })(ds.stream({ epoch: 0, seed: 1, window: 16 })));
    expect(batches).toHaveLength(5);
    expect((batches[0] as { img: { shape: number[] } }).img.shape).toEqual([8, 4, 4, 4]);
  });
});
