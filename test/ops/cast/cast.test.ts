import { describe, expect, it } from 'vitest';
import { createSample, getKey, setKey, type Sample, type Tensor } from '../../../src/core/index.js';
import { oneHotToIndex, pipeline, runPipeline, toFloat, toInt, toNumber, toTensor, type Op } from '../../../src/ops/index.js';

async function apply(op: Op<object>, sample: Sample): Promise<Sample> {
  return (await runPipeline(pipeline([op]), sample, { seed: 0, epoch: 0 }))[0] as Sample;
}

describe('cast ops (FuseMedML OpToTensor / OpToInt / OpOneHotToNumber)', () => {
  const s = setKey(setKey(setKey(createSample('c'), 'values.val_np', [7, 8, 9]), 'values.f', 3.5), 'values.s', '12');

  it('toTensor converts arrays, scalars and nested arrays', async () => {
    const out = await apply(toTensor({ keys: ['values.val_np', 'values.f'] }), s);
    expect(getKey<Tensor>(out, 'values.val_np')).toEqual({ dtype: 'float32', shape: [3], data: new Float32Array([7, 8, 9]) });
    expect(getKey<Tensor>(out, 'values.f')).toEqual({ dtype: 'float32', shape: [], data: new Float32Array([3.5]) });
    const nested = await apply(
      toTensor({ keys: 'm', dtype: 'int32' }),
      setKey(s, 'm', [
        [1, 2],
        [3, 4],
      ]),
    );
    expect(getKey<Tensor>(nested, 'm')).toEqual({ dtype: 'int32', shape: [2, 2], data: new Int32Array([1, 2, 3, 4]) });
    await expect(apply(toTensor({ keys: 'm' }), setKey(s, 'm', [[1, 2], [3]]))).rejects.toThrow(/ragged/);
    await expect(apply(toTensor({ keys: 'values.s' }), s)).rejects.toThrow(/cannot convert string/);
  });

  it('toInt truncates toward zero, toFloat rounds to float32, toNumber parses', async () => {
    expect(getKey(await apply(toInt({ keys: 'values.f' }), setKey(s, 'values.f', -3.7)), 'values.f')).toBe(-3);
    expect(getKey(await apply(toFloat({ keys: 'x' }), setKey(s, 'x', 0.1)), 'x')).toBe(Math.fround(0.1));
    expect(getKey(await apply(toNumber({ keys: 'values.s' }), s), 'values.s')).toBe(12);
    await expect(apply(toNumber({ keys: 'values.val_np' }), s)).rejects.toThrow(/expected a number/);
  });

  it('oneHotToIndex: argmax, ties to the lower index', async () => {
    const t = { dtype: 'float32', shape: [4], data: new Float32Array([0.1, 0.4, 0.4, 0.1]) };
    expect(getKey(await apply(oneHotToIndex({ inKey: 'p', outKey: 'i', numClasses: 4 }), setKey(s, 'p', t)), 'i')).toBe(1);
    await expect(apply(oneHotToIndex({ inKey: 'p', numClasses: 3 }), setKey(s, 'p', t))).rejects.toThrow(/vector of 3 elements, got 4/);
  });
});

describe('toTensor on images', () => {
  it('keeps the geometry when converting the dtype', async () => {
    const img = { dtype: 'uint8', shape: [1, 2], data: new Uint8Array([3, 4]), dimension: 2, components: 1, spacing: [2, 3], origin: [1, 1], direction: [1, 0, 0, 1] };
    const out = getKey<Record<string, unknown>>(await apply(toTensor({ keys: 'img', dtype: 'float32' }), setKey(createSample('i'), 'img', img)), 'img');
    expect(out).toEqual({ ...img, dtype: 'float32', data: new Float32Array([3, 4]) });
  });
});
