import { afterEach, describe, expect, it } from 'vitest';
import { OpError, OptionsError } from '../../src/core/errors.js';
import { fingerprint } from '../../src/core/fingerprint.js';
import { getKey, type Sample } from '../../src/core/sample.js';
import type { Tensor } from '../../src/core/tensor.js';
import { pipeline, pipelineSpec, runPipeline, type Pipeline } from '../../src/ops/pipeline.js';
import { createWorkerRunner, WorkerCrashError, type WorkerRunner } from '../../src/workers/worker-runner.js';
import { decodePayload, encodePayload } from '../../src/cache/payload-codec.js';
import { failOn, morph, randNoise, scale, setConst, spin, track, volumeSample } from '../cache/test-ops.js';
import { setKey } from '../../src/core/sample.js';
import { tensor } from '../../src/core/tensor.js';

const runners: WorkerRunner[] = [];
afterEach(async () => {
  for (const r of runners.splice(0)) await r.close();
});
const start = (p: Pipeline, extra: Partial<Parameters<typeof createWorkerRunner>[0]> = {}): WorkerRunner => {
  const r = createWorkerRunner({ pipeline: pipelineSpec(p), threads: 2, samplesPerTask: 3, ...extra });
  runners.push(r);
  return r;
};
const dynamicOps = (): Pipeline =>
  pipeline([randNoise({ key: 'img', std: 0.5 }), scale({ key: 'img', factor: 2 }), morph({ drop: ['s3'], split: ['s5'] }), randNoise({ key: 'img', std: 0.1 })], {
    name: 'dynamic',
    opIndexBase: 3,
  });
const inputs = (n: number): Sample[] => Array.from({ length: n }, (_, i) => volumeSample(`s${i}`));

describe('worker runner', () => {
  it('gives the in-thread output bit for bit, grouped per input (drops and splits included)', async () => {
    const p = dynamicOps();
    const run = { seed: 7, epoch: 2 };
    const want = await Promise.all(inputs(11).map(async (s) => fingerprint(await runPipeline(p, s, run))));
    const r = start(p);
    const got = await r.run(inputs(11), run);
    expect(got.map((g) => fingerprint(g))).toEqual(want);
    expect(got[3]).toEqual([]);
    expect(got[5]?.map((s) => getKey(s, 'data.sampleId'))).toEqual(['s5#0', 's5#1']);
    // Another epoch gives other noise; same seed and epoch on one thread gives the same bytes.
    const other = await r.run(inputs(11), { seed: 7, epoch: 3 });
    expect(fingerprint(other[0])).not.toBe(want[0]);
    const one = start(p, { threads: 1, samplesPerTask: 1 });
    expect((await one.run(inputs(11), run)).map((g) => fingerprint(g))).toEqual(want);
    expect(r.stats()).toMatchObject({ samples: 22, skipped: 0 });
  });

  it('moves owned arrays (detached after sending) and copies read-only ones', async () => {
    const r = start(pipeline([scale({ key: 'img', factor: 1 })], { name: 'dynamic' }));
    const owned = inputs(2);
    const frozen = inputs(2).map((s) => decodePayload(encodePayload(s)));
    const before = fingerprint(frozen);
    const [a, b] = await Promise.all([r.run(owned, { seed: 1, epoch: 0 }), r.run(frozen, { seed: 1, epoch: 0 })]);
    expect(getKey<Tensor>(owned[0] as Sample, 'img').data.byteLength).toBe(0);
    expect(fingerprint(frozen)).toBe(before);
    expect(getKey<Tensor>(a?.[0]?.[0] as Sample, 'img').data).toHaveLength(64);
    expect(fingerprint(b?.[1])).toBe(fingerprint(await runPipeline(pipeline([scale({ key: 'img', factor: 1 })], { name: 'dynamic' }), frozen[1] as Sample, { seed: 1, epoch: 0 })));
  });

  it('copies partial views and op-held constants instead of detaching them', async () => {
    const p = pipeline([setConst({ key: 'k', value: new Float32Array([1, 2, 3]) }), scale({ key: 'img', factor: 2 })], { name: 'dynamic' });
    const r = start(p, { threads: 1, samplesPerTask: 1 });
    // Two samples whose volumes are views into one buffer, sent in different tasks.
    const shared = new Float32Array(128).map((_, i) => i);
    const samples = [0, 1].map((i) => setKey(volumeSample(`v${i}`), 'img', tensor('float32', [4, 4, 4], shared.subarray(i * 64, i * 64 + 64))));
    const want = await Promise.all(samples.map(async (s) => fingerprint(await runPipeline(p, s, { seed: 1, epoch: 0 }))));
    const got = await r.run(samples, { seed: 1, epoch: 0 });
    expect(got.map((g) => fingerprint(g))).toEqual(want);
    expect(shared.byteLength).toBe(512); // not detached
    // The op's constant survived the first task in the worker: later tasks still see it.
    const again = await r.run([volumeSample('v2'), volumeSample('v3')], { seed: 1, epoch: 0 });
    expect(again.map((g) => [...getKey<Float32Array>(g[0] as Sample, 'k')])).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
  });

  it('a throwing op rejects with op, op id and sample id — or is skipped and counted', async () => {
    const p = pipeline([randNoise({ key: 'img', std: 1 }), failOn({ throwOn: ['s4'] })], { name: 'dynamic' });
    const stop = start(p);
    const err = await stop.run(inputs(8), { seed: 1, epoch: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpError);
    expect(err).toMatchObject({ op: 'cacheTest.failOn', opId: 'dynamic.1.cacheTest.failOn', sampleId: 's4' });
    expect((err as Error).message).toMatch(/refusing s4/);
    const skip = start(p, { onError: 'skip' });
    const out = await skip.run(inputs(8), { seed: 1, epoch: 0 });
    expect(out.map((g) => g.length)).toEqual([1, 1, 1, 1, 0, 1, 1, 1]);
    expect(skip.stats()).toMatchObject({ skipped: 1, samples: 7 });
    expect(skip.stats().errors[0]?.sampleId).toBe('s4');
  });

  it('a worker that dies surfaces as an error naming op and sample; the pool recovers', async () => {
    const p = pipeline([randNoise({ key: 'img', std: 1 }), failOn({ exitOn: ['s2'] })], { name: 'dynamic' });
    const r = start(p);
    const err = await r.run(inputs(6), { seed: 1, epoch: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpError);
    expect(err).toMatchObject({ op: 'cacheTest.failOn', opId: 'dynamic.1.cacheTest.failOn', sampleId: 's2' });
    expect((err as OpError).cause).toBeInstanceOf(WorkerCrashError);
    // The pool replaces the dead thread: later runs work.
    const ok = await r.run(inputs(6).slice(3), { seed: 1, epoch: 0 });
    expect(ok.map((g) => g.length)).toEqual([1, 1, 1]);
    const skip = start(p, { onError: 'skip' });
    const out = await skip.run(inputs(6), { seed: 1, epoch: 0 });
    // The task holding s0..s2 died with its thread: all three are skipped.
    expect(out.map((g) => g.length)).toEqual([0, 0, 0, 1, 1, 1]);
    expect(skip.stats()).toMatchObject({ skipped: 3, samples: 3 });
  });

  it('a task past taskTimeoutMs fails naming the op and sample instead of hanging', async () => {
    const p = pipeline([randNoise({ key: 'img', std: 1 }), spin({ ms: 60_000, only: ['s1'] })], { name: 'dynamic' });
    const r = start(p, { taskTimeoutMs: 5000, samplesPerTask: 1, threads: 1 });
    await r.run(inputs(1), { seed: 1, epoch: 0 }); // warm: the thread starts and builds the pipeline
    const err = await r.run(inputs(2).slice(1), { seed: 1, epoch: 0 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ op: 'cacheTest.spin', opId: 'dynamic.1.cacheTest.spin', sampleId: 's1' });
    expect((err as OpError).cause).toBeInstanceOf(WorkerCrashError);
    expect((err as Error).message).toMatch(/taskTimeoutMs/);
  });

  it('close stops the pool: pending and later calls reject, nothing hangs', async () => {
    const r = createWorkerRunner({ pipeline: pipelineSpec(dynamicOps()), threads: 1, samplesPerTask: 1 });
    const pending = r.run(inputs(30), { seed: 1, epoch: 0 }).catch((e: unknown) => e);
    await r.close();
    expect(await pending).toBeInstanceOf(Error);
    await expect(r.run(inputs(1), { seed: 1, epoch: 0 })).rejects.toThrow(/closed/);
  });

  it('keeps at most maxTasksInFlight tasks off-thread', async () => {
    const counter = new SharedArrayBuffer(8);
    const one = start(pipeline([track({ counter, ms: 15 })], { name: 'dynamic' }), { threads: 2, samplesPerTask: 1, maxTasksInFlight: 1 });
    expect((await one.run(inputs(6), { seed: 1, epoch: 0 })).map((g) => g.length)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(new Int32Array(counter)[1]).toBe(1);
    const wide = new SharedArrayBuffer(8);
    const two = start(pipeline([track({ counter: wide, ms: 15 })], { name: 'dynamic' }), { threads: 2, samplesPerTask: 1, maxTasksInFlight: 2 });
    await two.run(inputs(6), { seed: 1, epoch: 0 });
    expect(new Int32Array(wide)[1]).toBeLessThanOrEqual(2);
  });

  it('validates options when built', () => {
    const spec = pipelineSpec(dynamicOps());
    expect(() => createWorkerRunner({ pipeline: spec, threads: 0 })).toThrow(OptionsError);
    expect(() => createWorkerRunner({ pipeline: spec, samplesPerTask: 1.5 })).toThrow(/samplesPerTask/);
    expect(() => createWorkerRunner({ pipeline: spec, onError: 'retry' as 'skip' })).toThrow(/onError/);
  });
});

describe('worker runner under concurrent calls', () => {
  it('serves many concurrent run calls on a small pool without a queue-full error, in order', async () => {
    const p = dynamicOps();
    const r = createWorkerRunner({ pipeline: pipelineSpec(p), threads: 1, samplesPerTask: 1, maxTasksInFlight: 4 });
    runners.push(r);
    const run = { seed: 5, epoch: 0 };
    const calls = Array.from({ length: 6 }, (_, c) => inputs(4).map((s) => setKey(s, 'data.sampleId', `c${c}-${getKey<string>(s, 'data.sampleId')}`)));
    const want = await Promise.all(calls.map((batch) => Promise.all(batch.map(async (s) => fingerprint(await runPipeline(p, s, run))))));
    const got = await Promise.all(calls.map((batch) => r.run(batch, run)));
    expect(got.map((g) => g.map((x) => fingerprint(x)))).toEqual(want);
  });
});
