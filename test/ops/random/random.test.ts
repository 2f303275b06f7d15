import { describe, expect, it } from 'vitest';
import { createSample, getKey, setKey, type Sample } from '../../../src/core/index.js';
import {
  choice,
  defineOp,
  drawRecursively,
  oneOf,
  pipeline,
  randApply,
  randBool,
  randInt,
  repeat,
  runPipeline,
  sample,
  set,
  uniform,
  gaussian,
  type Op,
} from '../../../src/ops/index.js';
import { Rng } from '../../../src/core/index.js';

const put = defineOp<{ key: string; value: unknown }>({
  name: 'test.random.put',
  version: 1,
  kind: 'static',
  apply: (s, _ctx, o) => setKey(s, o.key, o.value),
});

async function runOne(op: Op<object>, id: string, seed = 0, epoch = 0): Promise<Sample> {
  return (await runPipeline(pipeline([op]), createSample(id), { seed, epoch }))[0] as Sample;
}

describe('parameter samplers (FuseMedML OpSample §D.2)', () => {
  it('draws nested samplers inside objects and lists within their ranges', () => {
    const rng = Rng.fromParts([0]);
    for (let i = 0; i < 200; i++) {
      const d = drawRecursively({ a: randInt(1, 5), b: [randBool(), { c: randInt(10, 15) }], e: choice([6, 7, 8]), u: uniform(-1, 1), g: gaussian(0, 1, [2, 3]) }, rng) as {
        a: number;
        b: [boolean, { c: number }];
        e: number;
        u: number;
        g: number[][];
      };
      expect(d.a >= 1 && d.a <= 5 && Number.isInteger(d.a)).toBe(true);
      expect(typeof d.b[0]).toBe('boolean');
      expect(d.b[1].c >= 10 && d.b[1].c <= 15).toBe(true);
      expect([6, 7, 8]).toContain(d.e);
      expect(d.u >= -1 && d.u < 1).toBe(true);
      expect(d.g.length).toBe(2);
      expect(d.g[0]?.length).toBe(3);
    }
  });

  it('sample(repeat(...)) shares one draw across keys; repeat(sample(...)) draws per key', async () => {
    const shared = sample({ op: repeat({ op: put({ key: 'k', value: randInt(0, 1_000_000) }), steps: [{ key: 'data.a' }, { key: 'data.b' }] }) });
    const perKey = repeat({ op: sample({ op: put({ key: 'k', value: randInt(0, 1_000_000) }) }), steps: [{ key: 'data.a' }, { key: 'data.b' }] });
    // Each step of repeat(sample) gets its own op id and generator.
    let differ = 0;
    for (let i = 0; i < 20; i++) {
      const s1 = await runOne(shared, `s${i}`, 1337);
      expect(getKey(s1, 'data.a')).toBe(getKey(s1, 'data.b'));
      const s2 = await runOne(perKey, `s${i}`, 1337);
      if (getKey(s2, 'data.a') !== getKey(s2, 'data.b')) differ++;
    }
    expect(differ).toBeGreaterThan(15);
  });

  it('same seed → same output; the draw depends only on (seed, epoch, id, op), not on order', async () => {
    const op = sample({ op: put({ key: 'data.v', value: uniform(0, 1) }) });
    const ids = Array.from({ length: 30 }, (_, i) => `id${i}`);
    const forward = await Promise.all(ids.map((id) => runOne(op, id, 5)));
    const backward = (await Promise.all([...ids].reverse().map((id) => runOne(op, id, 5)))).reverse();
    expect(forward.map((s) => getKey(s, 'data.v'))).toEqual(backward.map((s) => getKey(s, 'data.v')));
    const otherEpoch = await runOne(op, 'id0', 5, 1);
    expect(getKey(otherEpoch, 'data.v')).not.toBe(getKey(forward[0] as Sample, 'data.v'));
  });

  it('randApply with p = 0.99 applies at least 980 of 1000 times; p = 0.5 gives both outcomes', async () => {
    const op99 = randApply({ op: set({ key: 'data.applied', value: true }), p: 0.99 });
    let applied = 0;
    for (let i = 0; i < 1000; i++) if ('applied' in ((await runOne(op99, `s${i}`, 0)).data as object)) applied++;
    expect(applied).toBeGreaterThanOrEqual(980);
    const op50 = randApply({ op: set({ key: 'data.applied', value: true }), p: 0.5 });
    const outcomes = new Set<boolean>();
    for (let i = 0; i < 4; i++) outcomes.add('applied' in ((await runOne(op50, `s${i}`, 0)).data as object));
    expect(outcomes.size).toBe(2);
    expect(op50.kind).toBe('random');
  });

  it('oneOf follows its weights', async () => {
    const op = oneOf({ ops: [set({ key: 'data.k', value: 'a' }), set({ key: 'data.k', value: 'b' })], weights: [1, 3] });
    let b = 0;
    for (let i = 0; i < 2000; i++) if (getKey(await runOne(op, `s${i}`), 'data.k') === 'b') b++;
    expect(b / 2000).toBeGreaterThan(0.7);
    expect(b / 2000).toBeLessThan(0.8);
  });

  it('factories validate options that hold samplers on a probe value', () => {
    expect(() => uniform(2, 1)).toThrow(/max 1 < min 2/);
    expect(() => randApply({ op: set({ key: 'a', value: 1 }), p: 2 })).toThrow(/'p' must be/);
  });
});
