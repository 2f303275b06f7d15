import { describe, expect, it } from 'vitest';
import { createSample, getKey, setKey, type Sample } from '../../../src/core/index.js';
import { applyByType, cond, defineOp, lambda, pipeline, repeat, runPipeline, set, type Op } from '../../../src/ops/index.js';

// FuseMedML's test op: adds `incr` from inKey into outKey (fusemedml-eval-test-values.md §D.2).
const increment = defineOp<{ inKey: string; outKey: string; incr: number }>({
  name: 'test.meta.increment',
  version: 1,
  kind: 'static',
  apply: (s, _ctx, o) => setKey(s, o.outKey, getKey<number>(s, o.inKey) + o.incr),
});
const times = defineOp<{ key: string; by: number }>({
  name: 'test.meta.times',
  version: 1,
  kind: 'static',
  apply: (s, _ctx, o) => setKey(s, o.key, getKey<number>(s, o.key) * o.by),
});

async function apply(op: Op<object>, sample: Sample): Promise<Sample> {
  return (await runPipeline(pipeline([op]), sample, { seed: 0, epoch: 0 }))[0] as Sample;
}

describe('meta ops', () => {
  it('repeat runs the op per step with overridden options (OpRepeat: b 8, c 11, d 14)', async () => {
    const op = repeat({
      op: increment({ inKey: 'x', outKey: 'x', incr: 3 }),
      steps: [
        { inKey: 'data.val.a', outKey: 'data.val.b' },
        { inKey: 'data.val.b', outKey: 'data.val.c' },
        { inKey: 'data.val.b', outKey: 'data.val.d' },
        { inKey: 'data.val.d', outKey: 'data.val.d' },
      ],
    });
    const out = await apply(op, setKey(createSample('0'), 'data.val.a', 5));
    expect([getKey(out, 'data.val.b'), getKey(out, 'data.val.c'), getKey(out, 'data.val.d')]).toEqual([8, 11, 14]);
  });

  it('lambda x+y with y = 5 repeated 3 times on 5 gives 20 (OpLambda)', async () => {
    const op = repeat({ op: lambda({ key: 'data.a', fn: (x) => (x as number) + 5 }), steps: [{}, {}, {}] });
    expect(getKey(await apply(op, setKey(createSample('0'), 'data.a', 5)), 'data.a')).toBe(20);
  });

  it('cond applies the op when the condition (value or key) holds', async () => {
    const s = setKey(createSample('0'), 'data.flag', false);
    expect(getKey(await apply(cond({ op: set({ key: 'y', value: 1 }), condition: true }), s), 'y')).toBe(1);
    expect(await apply(cond({ op: set({ key: 'y', value: 1 }), condition: 'data.flag' }), s)).toEqual(s);
    await expect(apply(cond({ op: set({ key: 'y', value: 1 }), condition: 'data.sampleId' }), s)).rejects.toThrow(/expected a boolean/);
  });

  it('applyByType dispatches on key suffixes (OpApplyTypes: img +1, seg ×2, bbox ×4)', async () => {
    let s = createSample('0');
    for (const k of ['data.val.img_for_testing', 'data.test.img_for_testing', 'data.test.seg_for_testing', 'data.test.bbox_for_testing', 'data.test.meta']) {
      s = setKey(s, k, 3);
    }
    const inc = applyByType({ rules: [{ type: 'image', op: times({ key: 'k', by: 1 }) }] });
    expect(inc.kind).toBe('static');
    const out = await apply(
      applyByType({
        rules: [
          { type: 'seg', op: times({ key: 'k', by: 2 }) },
          { type: 'bbox', op: times({ key: 'k', by: 4 }) },
          { type: 'image', op: times({ key: 'k', by: 4 / 3 }) },
        ],
      }),
      s,
    );
    expect(getKey(out, 'data.test.seg_for_testing')).toBe(6);
    expect(getKey(out, 'data.test.bbox_for_testing')).toBe(12);
    expect(getKey(out, 'data.val.img_for_testing')).toBeCloseTo(4, 12);
    expect(getKey(out, 'data.test.img_for_testing')).toBeCloseTo(4, 12);
    expect(getKey(out, 'data.test.meta')).toBe(3);
  });
});
