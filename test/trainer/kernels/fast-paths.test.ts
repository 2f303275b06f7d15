import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { conv2dGeometry } from '../../../src/trainer/kernels/conv-geometry.js';
import { CONV_ROUTE_MIN_CHANNELS, conv2dFilterGradByConv } from '../../../src/trainer/kernels/conv2d-filter-by-conv.js';
import { conv2dInputGradByConv, rotateFilter } from '../../../src/trainer/kernels/conv2d-input-by-conv.js';
import { columnSums } from '../../../src/trainer/kernels/sum.js';
import { relErr, setUpBackends, values, wasmVsCpu, weightedSum } from './backends.js';
import { convFilterGrad, convInputGrad } from './reference-conv.js';

// The fast routes (filter gradient as an XNNPACK convolution from 8 input channels or as dyᵀ @ cols
// when the filter has fewer taps than output channels, stride-1 input gradient as a convolution with the rotated filter, Sum over leading axes as column sums)
// against the pure-JS backend and the float64 convolution sum, on the shapes that take them and
// on the ones that must fall back.

type Pad = 'valid' | 'same' | [[number, number], [number, number], [number, number], [number, number]];

describe('conv2d gradients through the convolution routes match the pure-JS backend', () => {
  beforeAll(setUpBackends);

  const cases: [string, readonly number[], readonly number[], number | [number, number], Pad][] = [];
  for (const s of [1, 2, [1, 2]] as const) {
    for (const pad of [
      'valid',
      'same',
      [
        [0, 0],
        [1, 0],
        [2, 1],
        [0, 0],
      ],
    ] as const) {
      cases.push([`Cin 8, stride ${String(s)}, pad ${JSON.stringify(pad)}`, [2, 9, 8, 8], [3, 3, 8, 5], s as number | [number, number], pad as Pad]);
    }
  }
  cases.push(['Cin 12, 2×3 filter, stride 1 same', [3, 7, 10, 12], [2, 3, 12, 6], 1, 'same']);
  cases.push(['Cin 8, even input unread by stride 2 (falls back)', [2, 10, 10, 8], [3, 3, 8, 4], 2, 'valid']);
  cases.push(['fixed CNN second conv, batch 4', [4, 13, 13, 32], [3, 3, 32, 64], 1, 'valid']);
  // fewer filter taps than output channels (K < Cout): the filter gradient as dyᵀ @ cols
  cases.push(['fixed CNN first conv (K 9 < Cout 32), batch 3', [3, 28, 28, 1], [3, 3, 1, 32], 1, 'valid']);
  for (const s of [1, 2] as const) {
    for (const pad of ['valid', 'same'] as const) cases.push([`K 8 < Cout 16, stride ${s}, pad ${pad}`, [2, 9, 8, 2], [2, 2, 2, 16], s, pad]);
  }

  it.each(cases)('%s', (_, xs, fs, s, pad) => {
    const errs = wasmVsCpu([xs, fs], (x, f) => weightedSum(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, s, pad)));
    expect(errs[0]).toBeLessThan(1e-4); // input gradient
    expect(errs[1]).toBeLessThan(1e-4); // filter gradient
  });

  it('bias gradients (Sum over leading axes) and other sums match cpu', () => {
    const errs = wasmVsCpu([[3, 5, 4, 7], [7]], (x, b) => weightedSum(tf.relu(tf.add(x, b))));
    for (const e of errs) expect(e).toBeLessThan(1e-5);
    for (const [axis, keep] of [
      [[0, 1, 2], true],
      [[2, 0, 1], false],
      [[-4, -3, -2], false],
      [[1, 2], false],
      [3, false],
      [[0, 1, 2, 3], true],
    ] as const) {
      const [err] = wasmVsCpu([[3, 5, 4, 7]], (x) =>
        weightedSum(
          tf
            .sum(x, axis as number | number[], keep)
            .mul(1)
            .reshape([-1])
            .concat(tf.zeros([1])),
        ),
      );
      expect(err, `axis ${JSON.stringify(axis)}`).toBeLessThan(1e-5);
    }
  });
});

describe('convolution routes called directly, against the float64 convolution sum', () => {
  beforeAll(setUpBackends);

  function direct(
    xShape: number[],
    fShape: number[],
    stride: number | [number, number],
    pad: 'valid' | 'same',
    dil: number | [number, number],
  ): { readonly dw: boolean; readonly dx: boolean } {
    void tf.setBackend('wasm');
    const backend = tf.backend() as BackendWasm;
    const g = conv2dGeometry(xShape, fShape, stride, pad, dil);
    const xv = values(
      xShape.reduce((a, b) => a * b, 1),
      31,
    );
    const fv = values(
      fShape.reduce((a, b) => a * b, 1),
      32,
    );
    const dyv = values(g.batch * g.outHeight * g.outWidth * g.outChannels, 33);
    const x = tf.tensor(xv, xShape);
    const f = tf.tensor(fv, fShape);
    const dy = tf.tensor(dyv, [g.batch, g.outHeight, g.outWidth, g.outChannels]);
    const before = backend.numDataIds();
    const dw = conv2dFilterGradByConv(backend, x, dy, g);
    const dx = conv2dInputGradByConv(backend, dy, f, g);
    expect(backend.numDataIds()).toBe(before + (dw === undefined ? 0 : 1) + (dx === undefined ? 0 : 1)); // no scratch left
    if (dw !== undefined) {
      expect(dw.shape).toEqual(fShape);
      expect(relErr(backend.typedArrayFromHeap(dw), convFilterGrad(g, xv, dyv))).toBeLessThan(1e-5);
      backend.disposeData(dw.dataId);
    }
    if (dx !== undefined) {
      expect(dx.shape).toEqual(xShape);
      expect(relErr(backend.typedArrayFromHeap(dx), convInputGrad(g, fv, dyv))).toBeLessThan(1e-5);
      backend.disposeData(dx.dataId);
    }
    tf.dispose([x, f, dy]);
    void tf.setBackend('cpu');
    return { dw: dw !== undefined, dx: dx !== undefined };
  }

  it.each([
    [1, 'valid', 2],
    [1, 'same', 2],
    [1, 'same', [2, 1]],
    [2, 'valid', 2],
    [2, 'same', [1, 3]],
  ] as const)('stride %j pad %s dilation %j (dilation is honoured although tfjs 4.22 never asks)', (s, pad, dil) => {
    const took = direct([2, 11, 11, CONV_ROUTE_MIN_CHANNELS], [3, 2, CONV_ROUTE_MIN_CHANNELS, 4], s, pad, dil as number | [number, number]);
    expect(took.dw).toBe(true);
    expect(took.dx).toBe(s === 1);
  });

  it('declines what it cannot do: few input channels (filter), stride 2 (input)', () => {
    expect(direct([2, 9, 9, CONV_ROUTE_MIN_CHANNELS - 1], [3, 3, CONV_ROUTE_MIN_CHANNELS - 1, 4], 2, 'same', 1)).toEqual({ dw: false, dx: false });
    expect(direct([2, 9, 9, 3], [3, 3, 3, 4], 1, 'same', 1)).toEqual({ dw: false, dx: true });
  });

  it('rotateFilter: 180° in space, channel axes swapped (hand-derived)', () => {
    // w[a, b, i, o] = 1000a + 100b + 10i + o, 2×2 taps, 2 in, 3 out
    const w = new Float32Array(2 * 2 * 2 * 3);
    for (let a = 0; a < 2; a++)
      for (let b = 0; b < 2; b++) for (let i = 0; i < 2; i++) for (let o = 0; o < 3; o++) w[((a * 2 + b) * 2 + i) * 3 + o] = 1000 * a + 100 * b + 10 * i + o;
    const out = new Float32Array(w.length);
    rotateFilter(w, 2, 2, 2, 3, out);
    // out[a, b, o, i] = w[1 − a, 1 − b, i, o]
    expect(out[((0 * 2 + 0) * 3 + 2) * 2 + 1]).toBe(1000 + 100 + 10 + 2);
    expect(out[((1 * 2 + 0) * 3 + 0) * 2 + 1]).toBe(0 + 100 + 10 + 0);
    expect(out[((1 * 2 + 1) * 3 + 1) * 2 + 0]).toBe(1);
  });

  it('columnSums: rows not a multiple of four, exact small integers (hand-derived)', () => {
    const m = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30], (v) => v); // 10 × 3
    const out = new Float32Array(3);
    columnSums(m, 10, 3, out);
    expect(Array.from(out)).toEqual([145, 155, 165]);
  });
});

describe('MaxPoolGrad routed by the pooled output matches cpu', () => {
  beforeAll(setUpBackends);

  it.each([
    ['2×2 s2, odd input (last row and column in no window)', [2, 7, 7, 5], 2, 2, 'valid'],
    ['2×2 s2 same, clipped edge windows', [1, 5, 5, 2], 2, 2, 'same'],
    ['fixed CNN first pool, batch 2', [2, 26, 26, 32], 2, 2, 'valid'],
    ['3×3 s3 disjoint, 9 taps', [2, 9, 9, 3], 3, 3, 'valid'],
  ] as const)('%s', (_, xs, f, s, pad) => {
    const [err] = wasmVsCpu([xs], (x) => weightedSum(tf.maxPool(x as tf.Tensor4D, f, s, pad)));
    expect(err).toBeLessThan(1e-6);
  });

  it('ties in the unrolled 2×2 case go to the first tap, row-major (hand-derived)', () => {
    void tf.setBackend('wasm');
    // windows: [5 5 / 1 1], [1 7 / 7 7], [2 1 / 2 1], [0 0 / 0 3]
    const x = tf.tensor([5, 5, 1, 7, 1, 1, 7, 7, 2, 1, 0, 0, 2, 1, 0, 3], [1, 4, 4, 1]);
    const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid'), tf.tensor([1, 2, 3, 4], [1, 2, 2, 1]))))(x);
    expect(Array.from(dx.dataSync())).toEqual([1, 0, 0, 2, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 4]);
    tf.dispose([x, dx]);
    void tf.setBackend('cpu');
  });
});

describe('Identity and same-dtype Cast share the bytes on wasm', () => {
  beforeAll(setUpBackends);

  it('a clone outlives its source, shares its buffer, and both free it', () => {
    void tf.setBackend('wasm');
    const backend = tf.backend() as BackendWasm;
    const before = backend.numDataIds();
    const a = tf.tensor([1, 2, 3, 4], [2, 2]);
    const b = tf.clone(a);
    const c = tf.cast(a, 'float32');
    expect(backend.numDataIds()).toBe(before + 1); // one buffer, three tensors
    a.dispose();
    expect(Array.from(b.dataSync())).toEqual([1, 2, 3, 4]);
    b.dispose();
    expect(Array.from(c.dataSync())).toEqual([1, 2, 3, 4]);
    c.dispose();
    expect(backend.numDataIds()).toBe(before);
    void tf.setBackend('cpu');
  });

  it('casts that change the dtype still convert', () => {
    void tf.setBackend('wasm');
    const a = tf.tensor([1.7, -2.2, 0], [3]);
    const i = tf.cast(a, 'int32');
    const f = tf.cast(i, 'float32');
    expect(i.dtype).toBe('int32');
    expect(Array.from(i.dataSync())).toEqual([1, -2, 0]);
    expect(Array.from(f.dataSync())).toEqual([1, -2, 0]);
    tf.dispose([a, i, f]);
    void tf.setBackend('cpu');
  });
});
