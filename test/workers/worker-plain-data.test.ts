/**
 * An op whose output is not plain sample data (a function instead of a sample, a sample holding a
 * function or a class instance) fails with an OpError naming that op, its id and the sample it
 * ran on — in-thread and on worker threads alike (issue 9, item 16) — instead of a clone error
 * blamed on another sample. Samples sent to workers are checked the same way before they leave.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { OpError } from '../../src/core/errors.js';
import { createSample, setKey, type Sample } from '../../src/core/sample.js';
import { pipeline, pipelineSpec, runPipeline } from '../../src/ops/pipeline.js';
import { set } from '../../src/ops/keys/set.js';
import { createBatchRunner, type BatchRunner } from '../../src/streams/batch-runner.js';
import { createWorkerRunner, type WorkerRunner } from '../../src/workers/worker-runner.js';
import { badOutput } from './worker-test-ops.js';

const closers: (WorkerRunner | BatchRunner)[] = [];
afterEach(async () => {
  for (const r of closers.splice(0)) await r.close();
});
const ids = (n: number): Sample[] => Array.from({ length: n }, (_, i) => createSample(`s${i}`));
const run = { seed: 1, epoch: 0 };
const cases = [
  { what: 'function', says: /expected the op to return a sample, null or an array of samples, got function/ },
  { what: 'fnInSample', says: /output holds a function at 'data\.extra\.cb'/ },
  { what: 'classInSample', says: /output holds a Map at 'data\.extra\.table'/ },
] as const;

describe('op outputs must be plain sample data', () => {
  const p = (what: (typeof cases)[number]['what']) => pipeline([set({ key: 'data.x', value: 1 }), badOutput({ on: ['s2'], what })], { name: 'dynamic' });

  it.each(cases)('in-thread: $what → OpError naming op, op id and the right sample', async ({ what, says }) => {
    const err = await Promise.resolve()
      .then(() => runPipeline(p(what), createSample('s2'), run))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpError);
    expect(err).toMatchObject({ op: 'workerTest.badOutput', opId: 'dynamic.1.workerTest.badOutput', sampleId: 's2' });
    expect((err as Error).message).toMatch(says);
    expect(await runPipeline(p(what), createSample('s1'), run)).toHaveLength(1);
  });

  it('on workers: each kind names the op and the sample it ran on (not the last sample of its task)', async () => {
    for (const { what, says } of cases) {
      const r = createWorkerRunner({ pipeline: pipelineSpec(p(what)), threads: 1, samplesPerTask: 4 });
      closers.push(r);
      const err = await r.run(ids(4), run).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpError);
      expect(err).toMatchObject({ op: 'workerTest.badOutput', opId: 'dynamic.1.workerTest.badOutput', sampleId: 's2' });
      expect((err as Error).message).toMatch(says);
      expect((err as Error).message).not.toMatch(/\[object Object\]/);
    }
  });

  it('on the batch runner too', async () => {
    const r = createBatchRunner({ pipeline: pipelineSpec(p('fnInSample')), threads: 1 });
    closers.push(r);
    const err = await r.runBatch({ items: ids(4).map((s, i) => ({ id: `s${i}`, statics: [s] })), run }).catch((e: unknown) => e);
    expect(err).toMatchObject({ op: 'workerTest.badOutput', opId: 'dynamic.1.workerTest.badOutput', sampleId: 's2' });
  });

  it('a sample that cannot be sent to a worker is refused before it leaves, by its id and key', async () => {
    const r = createWorkerRunner({ pipeline: pipelineSpec(pipeline([set({ key: 'a', value: 1 })], { name: 'dynamic' })), threads: 1 });
    closers.push(r);
    const samples = [createSample('ok'), setKey(createSample('bad'), 'data.cb', () => 1)];
    await expect(r.run(samples, run)).rejects.toThrow(/sample 'bad'.*function at 'data\.cb'/);
  });
});
