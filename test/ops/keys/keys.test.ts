import { describe, expect, it } from 'vitest';
import { OpError, OptionsError, createSample, getKey, hasKey, setKey, type Sample, type Tensor } from '../../../src/core/index.js';
import { concat, copy, deleteKeys, keepKeys, lookup, oneHot, overrideNaN, pipeline, replace, runPipeline, set, setIfMissing, zScore, type Op } from '../../../src/ops/index.js';

async function apply(op: Op<object>, sample: Sample): Promise<Sample> {
  const out = await runPipeline(pipeline([op]), sample, { seed: 0, epoch: 0 });
  expect(out).toHaveLength(1);
  return out[0] as Sample;
}

const base = (): Sample => setKey(setKey(createSample('s1'), 'data.x', 3), 'data.name', 'abccba');

describe('keys ops', () => {
  it('set / setIfMissing', async () => {
    expect(getKey(await apply(set({ key: 'data.y', value: 7 }), base()), 'data.y')).toBe(7);
    expect(getKey(await apply(setIfMissing({ key: 'data.x', value: 7 }), base()), 'data.x')).toBe(3);
    expect(getKey(await apply(setIfMissing({ key: 'data.z', value: 7 }), base()), 'data.z')).toBe(7);
  });

  it('copy / delete / keep', async () => {
    expect(getKey(await apply(copy({ inKey: 'data.x', outKey: 'data.x2' }), base()), 'data.x2')).toBe(3);
    expect(hasKey(await apply(deleteKeys({ keys: ['data.x'] }), base()), 'data.x')).toBe(false);
    await expect(apply(deleteKeys({ keys: ['data.nope'] }), base())).rejects.toThrow(OpError);
    const kept = await apply(keepKeys({ keys: ['data.x'] }), base());
    expect(kept).toEqual({ data: { sampleId: 's1', initialSampleId: 's1', x: 3 } });
  });

  it('lookup maps values and names unknown ones', async () => {
    const s = setKey(base(), 'data.dx', 'M');
    expect(getKey(await apply(lookup({ inKey: 'data.dx', outKey: 'data.label', map: { M: 0, B: 1 } }), s), 'data.label')).toBe(0);
    await expect(apply(lookup({ inKey: 'data.dx', map: { B: 1 } }), s)).rejects.toThrow(/value 'M' at key 'data.dx' is not in the lookup table/);
    expect(getKey(await apply(lookup({ inKey: 'data.dx', map: { B: 1 }, onMissing: 'keep' }), s), 'data.dx')).toBe('M');
  });

  it('oneHot and its range check', async () => {
    const t = getKey<Tensor>(await apply(oneHot({ inKey: 'data.x', outKey: 'data.oh', numClasses: 5 }), base()), 'data.oh');
    expect([...t.data]).toEqual([0, 0, 0, 1, 0]);
    expect(t.shape).toEqual([5]);
    await expect(apply(oneHot({ inKey: 'data.x', numClasses: 3 }), base())).rejects.toThrow(/integer class index in \[0, 3\)/);
    expect(() => oneHot({ inKey: 'data.x', numClasses: 0 })).toThrow(OptionsError);
  });

  it('concat scalars, arrays and tensors in order', async () => {
    let s = setKey(base(), 'data.v', [4, 5]);
    s = setKey(s, 'data.t', { dtype: 'int16', shape: [1, 2], data: new Int16Array([6, 7]) });
    const t = getKey<Tensor>(await apply(concat({ keys: ['data.x', 'data.v', 'data.t'], outKey: 'data.all' }), s), 'data.all');
    expect([...t.data]).toEqual([3, 4, 5, 6, 7]);
    await expect(apply(concat({ keys: ['data.name'], outKey: 'o' }), s)).rejects.toThrow(/key 'data.name': expected a number/);
  });

  it('replace elements (FuseMedML OpReplaceElements / OpReplaceAnyElements §D.2)', async () => {
    expect(getKey(await apply(replace({ inKey: 'data.name', find: 'b', replaceWith: 'X' }), base()), 'data.name')).toBe('aXccXa');
    expect(getKey(await apply(replace({ inKey: 'data.name', find: ['b', 'c'], replaceWith: 'X' }), base()), 'data.name')).toBe('aXXXXa');
    const s = setKey(base(), 'data.v', [1, 2, 3, 2, 1]);
    expect(getKey(await apply(replace({ inKey: 'data.v', find: 2, replaceWith: 0 }), s), 'data.v')).toEqual([1, 0, 3, 0, 1]);
    expect(getKey(await apply(replace({ inKey: 'data.v', find: [2, 3], replaceWith: 0 }), s), 'data.v')).toEqual([1, 0, 0, 0, 1]);
    const t = setKey(base(), 'data.t', { dtype: 'int32', shape: [5], data: new Int32Array([1, 2, 3, 2, 1]) });
    const out = getKey<Tensor>(await apply(replace({ inKey: 'data.t', outKey: 'data.t2', find: [2, 3], replaceWith: 0 }), t), 'data.t2');
    expect([...out.data]).toEqual([1, 0, 0, 0, 1]);
    expect([...getKey<Tensor>(t, 'data.t').data]).toEqual([1, 2, 3, 2, 1]);
  });

  it('overrideNaN on scalars and tensors', async () => {
    const s = setKey(setKey(base(), 'data.n', Number.NaN), 'data.t', { dtype: 'float32', shape: [3], data: new Float32Array([1, Number.NaN, 3]) });
    expect(getKey(await apply(overrideNaN({ key: 'data.n', value: -1 }), s), 'data.n')).toBe(-1);
    expect([...getKey<Tensor>(await apply(overrideNaN({ key: 'data.t', value: 0 }), s), 'data.t').data]).toEqual([1, 0, 3]);
  });

  it('zScore with fixed statistics; validates std', async () => {
    expect(getKey(await apply(zScore({ key: 'data.x', mean: 1, std: 4 }), base()), 'data.x')).toBe(0.5);
    expect(() => zScore({ key: 'data.x', mean: 0, std: 0 })).toThrow(/'std' must be a positive number/);
    await expect(apply(zScore({ key: 'data.name', mean: 0, std: 1 }), base())).rejects.toThrow(/'data.name'.*expected a number/);
  });

  it('never mutates the input sample', async () => {
    const s = base();
    const frozen = JSON.stringify(s);
    await apply(set({ key: 'data.x', value: 100 }), s);
    await apply(deleteKeys({ keys: ['data.name'] }), s);
    expect(JSON.stringify(s)).toBe(frozen);
  });
});
