import { describe, expect, it } from 'vitest';
import { OpError, createSample, getKey, setKey, type Sample } from '../../src/core/index.js';
import { defineOp, pipeline, pipelineFromSpec, pipelineSpec, runPipeline, set, reversePipeline, lambda, repeat, type PipelineSpec } from '../../src/ops/index.js';

const split = defineOp<{ n: number }>({
  name: 'test.pipeline.split',
  version: 1,
  kind: 'static',
  apply: (s, ctx, o) => Array.from({ length: o.n }, (_, i) => setKey(s, 'data.sampleId', `${ctx.sampleId}/${i}`)),
});
const dropIf = defineOp<{ id: string }>({
  name: 'test.pipeline.dropIf',
  version: 1,
  kind: 'static',
  apply: (s, ctx, o) => (ctx.sampleId === o.id ? null : s),
});
const asyncAdd = defineOp<{ key: string; value: number }>({
  name: 'test.pipeline.asyncAdd',
  version: 1,
  kind: 'static',
  apply: async (s, _ctx, o) => {
    await new Promise((r) => setTimeout(r, 1));
    return setKey(s, o.key, getKey<number>(s, o.key) + o.value);
  },
});
const fail = defineOp<Record<string, never>>({
  name: 'test.pipeline.fail',
  version: 1,
  kind: 'static',
  apply: () => {
    throw new Error('boom');
  },
});

const run = { seed: 0, epoch: 0 };

describe('runPipeline (FuseMedML PipelineDefault §D.3)', () => {
  it('later ops see earlier writes; the last set wins', async () => {
    const p = pipeline([set({ key: 'test_pipeline', value: 5 }), set({ key: 'test_pipeline', value: 6 }), set({ key: 'test_pipeline_2', value: 7 })]);
    const [out] = await runPipeline(p, createSample('0'), run);
    expect(getKey(out as Sample, 'test_pipeline')).toBe(6);
    expect(getKey(out as Sample, 'test_pipeline_2')).toBe(7);
  });

  it('an op returning null drops the sample', async () => {
    const p = pipeline([set({ key: 'a', value: 1 }), dropIf({ id: '0' }), set({ key: 'b', value: 2 })]);
    expect(await runPipeline(p, createSample('0'), run)).toEqual([]);
  });

  it('a split op fans out and later ops run on every child', async () => {
    const p = pipeline([split({ n: 10 }), set({ key: 'after', value: true })]);
    const out = await runPipeline(p, createSample('0'), run);
    expect(out.map((s) => getKey(s, 'data.sampleId'))).toEqual(Array.from({ length: 10 }, (_, i) => `0/${i}`));
    expect(out.every((s) => getKey(s, 'after') === true && getKey(s, 'data.initialSampleId') === '0')).toBe(true);
  });

  it('stays synchronous for synchronous ops and awaits async ones', async () => {
    const sync = runPipeline(pipeline([set({ key: 'x', value: 1 })]), createSample('a'), run);
    expect(Array.isArray(sync)).toBe(true);
    const p = pipeline([set({ key: 'x', value: 1 }), split({ n: 3 }), asyncAdd({ key: 'x', value: 2 }), dropIf({ id: 'a/1' })]);
    const out = await runPipeline(p, createSample('a'), run);
    expect(out.map((s) => [getKey(s, 'data.sampleId'), getKey(s, 'x')])).toEqual([
      ['a/0', 3],
      ['a/2', 3],
    ]);
  });

  it('a failing op gives an OpError naming op, op id and sample id', async () => {
    const p = pipeline([set({ key: 'x', value: 1 }), fail({})], { name: 'train' });
    let caught: unknown;
    try {
      await runPipeline(p, createSample('case_3'), run);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(OpError);
    const e = caught as OpError;
    expect([e.op, e.opId, e.sampleId]).toEqual(['test.pipeline.fail', 'train.1.test.pipeline.fail', 'case_3']);
    expect(e.message).toMatch(/boom/);
  });

  it('a missing key surfaces as an OpError with the closest keys', () => {
    const p = pipeline([repeat({ op: lambda({ key: 'data.x', fn: (v) => v }), steps: [{ key: 'data.y' }] })]);
    return expect(runPipeline(p, setKey(createSample('s1'), 'data.x', 1), run)).rejects.toThrow(/missing key 'data.y' in sample 's1'; closest keys: 'data.x'/);
  });

  it('round-trips through specs', async () => {
    const p = pipeline([set({ key: 'a', value: [1, 2] }), split({ n: 2 })], { name: 'static' });
    const q = pipelineFromSpec(JSON.parse(JSON.stringify(pipelineSpec(p))) as PipelineSpec);
    expect(await runPipeline(q, createSample('z'), run)).toEqual(await runPipeline(p, createSample('z'), run));
  });

  it('rejects duplicate op ids', () => {
    const op = set({ key: 'a', value: 1 });
    expect(() =>
      pipeline([
        { ...op, id: 'x' },
        { ...op, id: 'x' },
      ]),
    ).toThrow(/used twice/);
  });
});

describe('reverse (FuseMedML OpLambda §D.2)', () => {
  it('lambda x+3 repeated 3 times on 5 gives 14, reverse gives 5, and applies to another key following a', async () => {
    const p = pipeline([repeat({ op: lambda({ key: 'data.a', fn: (x) => (x as number) + 3, fnReverse: (x) => (x as number) - 3 }), steps: [{}, {}, {}] })]);
    const [out] = await runPipeline(p, setKey(createSample('0'), 'data.a', 5), run);
    expect(getKey(out as Sample, 'data.a')).toBe(14);
  });

  it('reversePipeline undoes a lambda on the followed key only', async () => {
    const inc = lambda({ key: 'data.a', fn: (x) => (x as number) + 3, fnReverse: (x) => (x as number) - 3 });
    const p = pipeline([inc, { ...inc, id: 'second' }, { ...inc, id: 'third' }]);
    const [out] = await runPipeline(p, setKey(createSample('0'), 'data.a', 5), run);
    expect(getKey(out as Sample, 'data.a')).toBe(14);
    const back = reversePipeline(p, out as Sample, { keyToReverse: 'data.a', keyToFollow: 'data.a' });
    expect(getKey(back, 'data.a')).toBe(5);
    const other = reversePipeline(p, setKey(out as Sample, 'data.b', 51), { keyToReverse: 'data.b', keyToFollow: 'data.a' });
    expect(getKey(other, 'data.b')).toBe(42);
    const notFollowed = reversePipeline(p, setKey(out as Sample, 'data.b', 51), { keyToReverse: 'data.b', keyToFollow: 'data.c' });
    expect(getKey(notFollowed, 'data.b')).toBe(51);
  });
});
