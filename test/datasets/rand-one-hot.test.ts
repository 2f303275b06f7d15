import { describe, expect, it } from 'vitest';
import { OptionsError } from '../../src/core/errors.js';
import { createSample, getKey, setKey, type Sample } from '../../src/core/sample.js';
import { tensor, type Tensor } from '../../src/core/tensor.js';
import { randOneHot } from '../../src/datasets/common/rand-one-hot.js';
import { dataset } from '../../src/streams/dataset.js';

const oneHot = (i: number, n: number): Tensor => {
  const t = tensor('float32', [n]);
  t.data[i] = 1;
  return t;
};

/** The vector at `key` after the op, for 200 samples (seeded per sample), as the index of its 1. */
async function outcomes(op: ReturnType<typeof randOneHot>, start: Tensor): Promise<number[]> {
  const ids = Array.from({ length: 200 }, (_, i) => `s${i}`);
  const ds = dataset({ ids, source: (id): Sample => setKey(createSample(id), 'data.v', start), dynamicPipeline: [op] });
  const out: number[] = [];
  for await (const s of ds.stream({ seed: 3, shuffle: false })) {
    const v = Array.from(getKey<Tensor>(s, 'data.v').data as Float32Array);
    expect(v.reduce((a, b) => a + b, 0)).toBe(1);
    out.push(v.indexOf(1));
  }
  return out;
}

const count = (xs: readonly number[], x: number): number => xs.filter((v) => v === x).length;

describe('randOneHot (FuseMedML OpAugOneHot under OpRandApply)', () => {
  it("'set' moves the 1 to the index with the given probability", async () => {
    const got = await outcomes(randOneHot({ key: 'data.v', mode: 'set', index: 2, prob: 0.5 }), oneHot(0, 3));
    expect(count(got, 0) + count(got, 2)).toBe(200);
    expect(count(got, 2)).toBeGreaterThan(70); // Binomial(200, 0.5): 100 ± 7
    expect(count(got, 2)).toBeLessThan(130);
    expect(await outcomes(randOneHot({ key: 'data.v', mode: 'set', index: 2, prob: 0.5 }), oneHot(0, 3))).toEqual(got); // seeded
  });

  it("'ranking' moves to a neighbour, clamps at the ends, and never moves from or onto a frozen position", async () => {
    const mid = await outcomes(randOneHot({ key: 'data.v', mode: 'ranking', freeze: [6], prob: 1 }), oneHot(2, 7));
    expect(count(mid, 1) + count(mid, 3)).toBe(200);
    expect(Math.min(count(mid, 1), count(mid, 3))).toBeGreaterThan(70);
    const first = await outcomes(randOneHot({ key: 'data.v', mode: 'ranking', prob: 1 }), oneHot(0, 7));
    expect(new Set(first)).toEqual(new Set([0, 1])); // -1 clamps to 0
    expect(new Set(await outcomes(randOneHot({ key: 'data.v', mode: 'ranking', freeze: [6], prob: 1 }), oneHot(6, 7)))).toEqual(new Set([6]));
    expect(new Set(await outcomes(randOneHot({ key: 'data.v', mode: 'ranking', freeze: [6], prob: 1 }), oneHot(5, 7)))).toEqual(new Set([4, 5]));
  });

  it('refuses bad options when built', () => {
    expect(() => randOneHot({ key: 'data.v', mode: 'set' })).toThrow(OptionsError);
    expect(() => randOneHot({ key: 'data.v', mode: 'ranking', index: 1 })).toThrow(/for mode 'set' only/);
    expect(() => randOneHot({ key: 'data.v', mode: 'swap' as 'set', index: 1 })).toThrow(/'set' or 'ranking'/);
    expect(() => randOneHot({ key: 'data.v', mode: 'set', index: 1, prob: 2 })).toThrow(OptionsError);
  });
});
