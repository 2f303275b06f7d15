/**
 * Worker task timeouts count running time only (issue 9, items 2 and 16): a sample's clock starts
 * when its worker starts on it, not when its task is queued; a default timeout is on; a sample
 * stuck in a loop that never yields has its thread stopped and the pool carries on.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { OpError, OptionsError } from '../../src/core/errors.js';
import { createSample, getKey, setKey, type Sample } from '../../src/core/sample.js';
import { pipeline, pipelineSpec, runPipeline, type Pipeline } from '../../src/ops/pipeline.js';
import { set } from '../../src/ops/keys/set.js';
import { createBatchRunner, type BatchRunner } from '../../src/streams/batch-runner.js';
import { createWorkerRunner, DEFAULT_TASK_TIMEOUT_MS, WorkerCrashError, type WorkerRunner } from '../../src/workers/worker-runner.js';
import { busy, hang } from './worker-test-ops.js';

const closers: (WorkerRunner | BatchRunner)[] = [];
afterEach(async () => {
  for (const r of closers.splice(0)) await r.close();
});
const ids = (n: number, prefix = 's'): Sample[] => Array.from({ length: n }, (_, i) => createSample(`${prefix}${i}`));
const run = { seed: 1, epoch: 0 };
/** Freezes a sample's objects (not its typed arrays, which cannot be frozen), as the cache hands them out. */
function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !ArrayBuffer.isView(v)) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}
const runner = (p: Pipeline, extra: Partial<Parameters<typeof createWorkerRunner>[0]>): WorkerRunner => {
  const r = createWorkerRunner({ pipeline: pipelineSpec(p), ...extra });
  closers.push(r);
  return r;
};

describe('worker runner timeout: running time only', () => {
  it('six healthy 400 ms samples on one thread with a 700 ms timeout: none skipped (queued time does not count)', async () => {
    const p = pipeline([busy({ ms: 400 }), set({ key: 'data.done', value: true })], { name: 'dynamic' });
    for (const samplesPerTask of [1, 4]) {
      const r = runner(p, { threads: 1, samplesPerTask, taskTimeoutMs: 700, onError: 'skip' });
      const out = await r.run(ids(6), run);
      expect(r.stats().errors.map((e) => e.message)).toEqual([]);
      expect(r.stats()).toMatchObject({ skipped: 0, samples: 6 });
      expect(out.map((g) => g.map((s) => getKey(s, 'data.done')))).toEqual(Array.from({ length: 6 }, () => [true]));
    }
  });

  it('a sample in an endless loop is stopped (its thread killed), named, and the pool serves later calls', async () => {
    const beat = new SharedArrayBuffer(4);
    const p = pipeline([set({ key: 'data.done', value: true }), hang({ on: ['s2'], beat })], { name: 'dynamic' });
    const r = runner(p, { threads: 1, samplesPerTask: 1, taskTimeoutMs: 1000, onError: 'skip' });
    const out = await r.run(ids(5), run);
    expect(out.map((g) => g.length)).toEqual([1, 1, 0, 1, 1]);
    // The looping thread is gone, not merely abandoned: its counter has stopped.
    const before = Atomics.load(new Int32Array(beat), 0);
    expect(before).not.toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(Atomics.load(new Int32Array(beat), 0)).toBe(before);
    const [e] = r.stats().errors;
    expect(e).toBeInstanceOf(OpError);
    expect(e).toMatchObject({ op: 'workerTest.hang', opId: 'dynamic.1.workerTest.hang', sampleId: 's2' });
    expect(e?.cause).toBeInstanceOf(WorkerCrashError);
    expect(e?.message).toMatch(/taskTimeoutMs \(1000 ms\)/);
    // A fresh thread took over: a later call runs every sample.
    const again = await r.run(ids(3, 't'), run);
    expect(again.map((g) => g.length)).toEqual([1, 1, 1]);
  });

  it('under skip, only the stuck sample is lost when its task-mates were sent as copies (frozen, e.g. cached, inputs); moved ones are counted', async () => {
    const p = pipeline([set({ key: 'data.done', value: true }), hang({ on: ['s2'] })], { name: 'dynamic' });
    const withArray = (s: Sample): Sample => setKey(s, 'data.arr', new Float32Array([1, 2, 3]));
    const frozen = ids(6).map((s) => deepFreeze(withArray(s)));
    const r = runner(p, { threads: 1, samplesPerTask: 4, taskTimeoutMs: 1000, onError: 'skip' });
    const out = await r.run(frozen, run);
    expect(out.map((g) => g.length)).toEqual([1, 1, 0, 1, 1, 1]);
    const want = await Promise.all(frozen.map(async (s) => (getKey(s, 'data.sampleId') === 's2' ? [] : await runPipeline(p, s, run))));
    expect(out).toEqual(want);
    expect(r.stats()).toMatchObject({ skipped: 1, samples: 5 });
    // Owned (unfrozen) inputs were moved to the stopped thread: the whole task is lost, and counted.
    const owned = await r.run(
      ids(6, 'o')
        .map(withArray)
        .map((s) => setKey(s, 'data.sampleId', getKey<string>(s, 'data.sampleId').replace('o2', 's2'))),
      run,
    );
    expect(owned.map((g) => g.length)).toEqual([0, 0, 0, 0, 1, 1]);
    expect(r.stats()).toMatchObject({ skipped: 5, samples: 7 });
  });

  it('has a default timeout (10 minutes per sample), overridable, and 0 or Infinity turn it off', () => {
    const p = pipeline([set({ key: 'a', value: 1 })], { name: 'dynamic' });
    expect(DEFAULT_TASK_TIMEOUT_MS).toBe(600_000);
    expect(runner(p, { threads: 1 }).taskTimeoutMs).toBe(DEFAULT_TASK_TIMEOUT_MS);
    expect(runner(p, { threads: 1, taskTimeoutMs: 5 }).taskTimeoutMs).toBe(5);
    expect(runner(p, { threads: 1, taskTimeoutMs: 0 }).taskTimeoutMs).toBe(Infinity);
    expect(runner(p, { threads: 1, taskTimeoutMs: Infinity }).taskTimeoutMs).toBe(Infinity);
    expect(() => createWorkerRunner({ pipeline: pipelineSpec(p), taskTimeoutMs: -1 })).toThrow(OptionsError);
    expect(() => createWorkerRunner({ pipeline: pipelineSpec(p), taskTimeoutMs: Number.NaN })).toThrow(/taskTimeoutMs/);
  });
});

describe('batch runner timeout: running time only', () => {
  it('queued batches do not time out; each sample gets the full timeout', async () => {
    const p = pipeline([busy({ ms: 300 })], { name: 'dynamic' });
    const r = createBatchRunner({ pipeline: pipelineSpec(p), threads: 1, taskTimeoutMs: 700 });
    closers.push(r);
    const items = (k: number) => ids(3, `b${k}-`).map((s) => ({ id: getKey<string>(s, 'data.sampleId'), statics: [s] }));
    const out = await Promise.all([0, 1, 2].map((k) => r.runBatch({ items: items(k), run })));
    expect(out.map((o) => (o.kind === 'batch' ? o.samples : -1))).toEqual([3, 3, 3]);
  });

  it('a hanging sample is stopped and named; the pool recovers', async () => {
    const p = pipeline([hang({ on: ['b0-1'] })], { name: 'dynamic' });
    const r = createBatchRunner({ pipeline: pipelineSpec(p), threads: 1, taskTimeoutMs: 1000 });
    closers.push(r);
    expect(r.taskTimeoutMs).toBe(1000);
    const items = (k: number) => ids(3, `b${k}-`).map((s) => ({ id: getKey<string>(s, 'data.sampleId'), statics: [s] }));
    const err = await r.runBatch({ items: items(0), run }).catch((e: unknown) => e);
    expect(err).toMatchObject({ op: 'workerTest.hang', opId: 'dynamic.0.workerTest.hang', sampleId: 'b0-1' });
    expect((err as OpError).cause).toBeInstanceOf(WorkerCrashError);
    const ok = await r.runBatch({ items: items(1), run });
    expect(ok.kind === 'batch' ? ok.samples : -1).toBe(3);
    const byDefault = createBatchRunner({ pipeline: pipelineSpec(p), threads: 1 });
    closers.push(byDefault);
    expect(byDefault.taskTimeoutMs).toBe(DEFAULT_TASK_TIMEOUT_MS);
  });
});
