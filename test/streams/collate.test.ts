import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MissingKeyError, TypeMismatchError } from '../../src/core/errors.js';
import { createSample, getKey, hasKey, setKeys, type Sample } from '../../src/core/sample.js';
import { tensor, type Tensor } from '../../src/core/tensor.js';
import { collate } from '../../src/streams/collate.js';
import { padToSameSize } from '../../src/streams/pad-to-same-size.js';
import { uncollate } from '../../src/streams/uncollate.js';

const ones = (shape: number[]): Tensor => tensor('float32', shape, new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(1));
const sum = (t: Tensor): number => Array.from(t.data as Float32Array).reduce((a, b) => a + b, 0);

describe('collate (FuseMedML CollateDefault test, D.5)', () => {
  // Rows a..e of the FuseMedML test: int values, a numpy-like scalar (rank-0 float64 tensor),
  // a not-important key, and `data.partial` only on 'a'.
  const values = [7, 4, 9, 2, 4];
  const rows: Sample[] = ['a', 'b', 'c', 'd', 'e'].map((id, i) =>
    setKeys(createSample(id), {
      'data.values': values[i],
      'data.numpy': tensor('float64', [], Float64Array.of((values[i] as number) / 2)),
      'data.not_important': { nested: i },
    }),
  );
  const withPartial = rows.map((s, i) => (i === 0 ? setKeys(s, { 'data.partial': 1 }) : s));

  it('batch of 3 with skipKeys and missing → null', () => {
    const b = collate(withPartial.slice(0, 3), { skipKeys: ['data.not_important'], missing: 'null' });
    expect(getKey(b, 'data.sampleId')).toEqual(['a', 'b', 'c']);
    const v = getKey<Tensor>(b, 'data.values');
    expect(v.dtype).toBe('int32');
    expect(v.shape).toEqual([3]);
    expect(Array.from(v.data)).toEqual([7, 4, 9]);
    const np = getKey<Tensor>(b, 'data.numpy');
    expect(np.shape).toEqual([3]);
    expect(Array.from(np.data)).toEqual([3.5, 2, 4.5]);
    expect(getKey(b, 'data.partial')).toEqual([1, null, null]);
    expect(hasKey(b, 'data.not_important')).toBe(false);
  });

  it('a missing key is an error naming the key and the sample id by default', () => {
    let err: unknown;
    try {
      collate(withPartial.slice(0, 3));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MissingKeyError);
    expect((err as MissingKeyError).key).toBe('data.partial');
    expect((err as MissingKeyError).sampleId).toBe('b');
  });

  it('keeps strings and other values as arrays, floats as float64, booleans as bool', () => {
    const b = collate([
      setKeys(createSample('x'), { 'm.name': 'left', 'm.p': 0.25, 'm.flag': true, 'm.list': [1, 2] }),
      setKeys(createSample('y'), { 'm.name': 'right', 'm.p': 1, 'm.flag': false, 'm.list': [3] }),
    ]);
    expect(getKey(b, 'm.name')).toEqual(['left', 'right']);
    expect(getKey<Tensor>(b, 'm.p').dtype).toBe('float64');
    expect(getKey<Tensor>(b, 'm.flag')).toEqual({ dtype: 'bool', shape: [2], data: Uint8Array.of(1, 0) });
    expect(getKey(b, 'm.list')).toEqual([[1, 2], [3]]);
    expect(collate([])).toEqual({});
  });

  it('stacks equal shapes, refuses different shapes or dtypes without pad, pads when asked', () => {
    const a = setKeys(createSample('a'), { img: ones([2, 3]) });
    const b = setKeys(createSample('b'), { img: ones([2, 3]) });
    const c = setKeys(createSample('c'), { img: ones([1, 3]) });
    expect(getKey<Tensor>(collate([a, b]), 'img').shape).toEqual([2, 2, 3]);
    expect(() => collate([a, c])).toThrow(TypeMismatchError);
    expect(() => collate([a, c])).toThrow(/'img'.*sample 'c'/);
    expect(() => collate([a, setKeys(createSample('d'), { img: tensor('int32', [2, 3]) })])).toThrow(/int32/);
    const padded = getKey<Tensor>(collate([a, c], { pad: { value: -1 } }), 'img');
    expect(padded.shape).toEqual([2, 2, 3]);
    expect(Array.from(padded.data).slice(6)).toEqual([1, 1, 1, -1, -1, -1]);
  });
});

describe('padToSameSize (FuseMedML pad_all_tensors_to_same_size, D.5)', () => {
  it('(1,1,3) + (1,2,1) → (2,1,2,3), zero padding keeps the sum', () => {
    const out = padToSameSize([ones([1, 1, 3]), ones([1, 2, 1])]);
    expect(out.shape).toEqual([2, 1, 2, 3]);
    expect(sum(out)).toBe(5);
    // The second tensor's two ones sit at [0,0,0] and [0,1,0] of its padded block.
    expect(Array.from(out.data).slice(6)).toEqual([1, 0, 0, 1, 0, 0]);
  });

  it('a single tensor is unchanged (stacked with a batch axis of one)', () => {
    const t = tensor('float32', [2, 2], Float32Array.of(1, 2, 3, 4));
    const out = padToSameSize([t]);
    expect(out.shape).toEqual([1, 2, 2]);
    expect(Array.from(out.data)).toEqual([1, 2, 3, 4]);
  });

  it('(1,2,3), (3,2,1), (1,3,2) → (3,3,3,3); with minSizePerDim (100,100,-1) → (3,100,100,3)', () => {
    const ts = [ones([1, 2, 3]), ones([3, 2, 1]), ones([1, 3, 2])];
    const out = padToSameSize(ts);
    expect(out.shape).toEqual([3, 3, 3, 3]);
    expect(sum(out)).toBe(18);
    const big = padToSameSize(ts, { minSizePerDim: [100, 100, -1] });
    expect(big.shape).toEqual([3, 100, 100, 3]);
    expect(sum(big)).toBe(18);
  });
});

describe('uncollate', () => {
  it('round trip: uncollate(collate(xs)) equals xs', () => {
    const sampleArb = (i: number) =>
      fc
        .record({
          n: fc.oneof(fc.integer(), fc.double()),
          s: fc.string(),
          b: fc.boolean(),
          t: fc.float32Array({ minLength: 6, maxLength: 6 }),
          arr: fc.array(fc.integer(), { maxLength: 3 }),
        })
        .map((r) => setKeys(createSample(`id${i}`), { 'x.n': r.n, 'x.s': r.s, 'x.b': r.b, 'img.t': tensor('float32', [2, 3], r.t), 'meta.arr': r.arr }));
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }).chain((k) => fc.tuple(...Array.from({ length: k }, (_, i) => sampleArb(i)))),
        (xs) => {
          const back = uncollate(collate(xs));
          expect(back).toEqual(xs);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('broadcasts non-sequence values and checks lengths', () => {
    const batch = { data: { sampleId: ['a', 'b'] }, model: { loss: 0.5, probs: tensor('float32', [2, 2], Float32Array.of(0.1, 0.9, 0.8, 0.2)) } };
    const rows = uncollate(batch);
    expect(rows.map((r) => getKey(r, 'model.loss'))).toEqual([0.5, 0.5]);
    expect(getKey<Tensor>(rows[1] as Sample, 'model.probs')).toEqual({ dtype: 'float32', shape: [2], data: Float32Array.of(0.8, 0.2) });
    expect(() => uncollate({ data: { sampleId: ['a', 'b', 'c'] }, y: [1, 2] })).toThrow(/'y'/);
    expect(uncollate({ n: 1 })).toEqual([]);
    const asTensors = uncollate(collate([setKeys(createSample('a'), { v: 3 })]), { scalars: 'tensor' });
    expect(getKey(asTensors[0] as Sample, 'v')).toEqual({ dtype: 'int32', shape: [], data: Int32Array.of(3) });
  });
});
