import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { productRoute } from '../../../src/trainer/kernels/batch-mat-mul.js';
import { relErr, setUpBackends, values, wasmVsCpu, weightedSum } from './backends.js';

describe('BatchMatMul on wasm with transposes takes the fast path and matches cpu', () => {
  beforeAll(setUpBackends);

  it.each([
    [false, false, [5, 7], [7, 6]],
    [true, false, [7, 5], [7, 6]],
    [false, true, [5, 7], [6, 7]],
    [true, true, [7, 5], [6, 7]],
    [true, false, [1, 7, 5], [1, 7, 6]],
    [false, true, [3, 5, 7], [3, 6, 7]],
    // taken swapped, (op(b)ᵀ @ op(a)ᵀ)ᵀ: packing op(a) is cheaper than packing op(b)
    [false, true, [16, 12], [40, 12]],
    [true, false, [12, 16], [12, 40]],
    [true, true, [12, 16], [40, 12]],
    [false, true, [1, 16, 12], [1, 40, 12]],
    // N a multiple of 16: the WebAssembly SIMD productTN on the row-major operands
    [true, false, [12, 20], [12, 32]],
    [false, true, [21, 12], [48, 12]],
    [true, true, [12, 5], [16, 12]],
    [false, true, [1, 3, 300], [1, 16, 300]],
  ] as const)('transposeA %s transposeB %s, %j @ %j: product and gradients', (ta, tb, as, bs) => {
    const errs = wasmVsCpu([as, bs], (a, b) => weightedSum(tf.matMul(a, b, ta, tb)));
    for (const e of errs) expect(e).toBeLessThan(1e-5);
    void tf.setBackend('wasm');
    const a = tf.tensor(
      values(
        (as as readonly number[]).reduce((p, d) => p * d, 1),
        7,
      ),
      [...as],
    );
    const b = tf.tensor(
      values(
        (bs as readonly number[]).reduce((p, d) => p * d, 1),
        8,
      ),
      [...bs],
    );
    const got = tf.matMul(a, b, ta, tb);
    void tf.setBackend('cpu');
    const want = tf.matMul(tf.tensor(a.dataSync(), a.shape), tf.tensor(b.dataSync(), b.shape), ta, tb);
    expect(got.shape).toEqual(want.shape);
    expect(relErr(got.dataSync(), want.dataSync())).toBeLessThan(1e-6);
    tf.dispose([a, b, got, want]);
  });
});

describe('productRoute: which side of a transposed product XNNPACK packs', () => {
  it('takes a dense layer input gradient swapped (the weight is not packed) and its weight gradient direct', () => {
    // dy [64, 128] @ Wᵀ, W [1600, 128]: direct packs 1600·128 after copying W; swapped packs 128·64
    expect(productRoute(64, 1600, 128, false, true)).toBe('swapped');
    expect(productRoute(32, 1600, 128, false, true)).toBe('swapped');
    // xᵀ @ dy, x [64, 1600], dy [64, 128]: direct packs 64·128; swapped would pack 64·1600
    expect(productRoute(1600, 128, 64, true, false)).toBe('direct');
  });

  it('keeps untransposed products (weights XNNPACK may hold packed) and products of fewer than 8 rows direct', () => {
    expect(productRoute(64, 1600, 128, false, false)).toBe('direct');
    expect(productRoute(4, 1600, 128, false, true)).toBe('direct');
  });

  it('counts copies (hand-derived): M 16, N 40, K 12, transposeB: direct 4·480 + 480 = 2400 > swapped 4·192 + 192 + 640 = 1600', () => {
    expect(productRoute(16, 40, 12, false, true)).toBe('swapped');
    // N 12, M 16, K 40, transposeB: direct 4·480 + 480 = 2400 < swapped 4·640 + 640 + 192 = 3392
    expect(productRoute(16, 12, 40, false, true)).toBe('direct');
  });
});

describe('MaxPoolGrad on wasm matches cpu (first maximum of each window)', () => {
  beforeAll(setUpBackends);

  it.each([
    [[2, 6, 6, 3], 2, 2, 'valid'],
    [[2, 7, 7, 3], 3, 2, 'same'],
    [[3, 9, 8, 5], 3, 1, 'same'],
    [[1, 8, 8, 2], [2, 3], [2, 1], 'valid'],
  ] as const)('x %j filter %j stride %j pad %s', (xs, f, s, pad) => {
    const [err] = wasmVsCpu([xs], (x) => weightedSum(tf.maxPool(x as tf.Tensor4D, f as [number, number], s as [number, number], pad)));
    expect(err).toBeLessThan(1e-6);
  });

  it('3D: ties go to the last maximum of the window, as on cpu (hand-derived)', () => {
    void tf.setBackend('wasm');
    const x = tf.ones([1, 2, 2, 2, 1]);
    const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool3d(t as tf.Tensor5D, 2, 2, 'valid'), 5)))(x);
    expect(Array.from(dx.dataSync())).toEqual([0, 0, 0, 0, 0, 0, 0, 5]);
    tf.dispose([x, dx]);
    void tf.setBackend('cpu');
  });

  it('ties go to the first maximum of the window, as on cpu (hand-derived)', () => {
    void tf.setBackend('wasm');
    const x = tf.ones([1, 4, 4, 1]);
    const w = tf.tensor([1, 2, 3, 4], [1, 2, 2, 1]);
    const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid'), w)))(x);
    expect(Array.from(dx.dataSync())).toEqual([1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0, 0]);
    tf.dispose([x, w, dx]);
    void tf.setBackend('cpu');
  });
});

describe('3D max-pool (replaced), average-pool and batch-norm (checked) gradients on wasm match cpu', () => {
  beforeAll(setUpBackends);

  it.each([
    ['maxPool3d 2 s2 valid', (x: tf.Tensor) => tf.maxPool3d(x as tf.Tensor5D, 2, 2, 'valid')],
    ['maxPool3d 3 s2 same', (x: tf.Tensor) => tf.maxPool3d(x as tf.Tensor5D, 3, 2, 'same')],
    ['maxPool3d of all-negative input', (x: tf.Tensor) => tf.maxPool3d(tf.sub<tf.Tensor5D>(x, 1), 2, 2, 'valid')],
    ['avgPool3d 3 s2 same', (x: tf.Tensor) => tf.avgPool3d(x as tf.Tensor5D, 3, 2, 'same')],
    ['avgPool 3 s2 same (2D)', (x: tf.Tensor) => tf.avgPool(x.reshape<tf.Tensor4D>([2, 5 * 7, 7, 3]), 3, 2, 'same')],
    [
      'batchNorm (moments of a batch)',
      (x: tf.Tensor) => {
        const x4 = x.reshape([2, 35, 7, 3]); // tfjs batchNorm takes rank ≤ 4
        const { mean, variance } = tf.moments(x4, [0, 1, 2]);
        return tf.batchNorm(x4, mean, variance, tf.fill([3], 0.1), tf.fill([3], 1.5), 1e-3);
      },
    ],
  ] as const)('%s', (_, f) => {
    const [err] = wasmVsCpu([[2, 5, 7, 7, 3]], (x) => weightedSum(f(x)));
    expect(err).toBeLessThan(1e-5);
  });
});

describe('ResizeNearestNeighborGrad on wasm (2D upsampling)', () => {
  beforeAll(setUpBackends);

  // The pure-JS backend's own kernel is a valid reference for batch 1 only: for batch > 1 it
  // offsets dy by the image's batch stride (its gradient then fails <resize(x), dy> = <x, dx>).
  it.each([
    [[1, 3, 4, 2], [6, 8], false],
    [[1, 5, 3, 3], [7, 7], false],
    [[1, 4, 4, 2], [7, 5], true],
  ] as const)('x %j → %j alignCorners %s: matches cpu', (xs, size, alignCorners) => {
    const [err] = wasmVsCpu([xs], (x) => weightedSum(tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [...size] as [number, number], alignCorners)));
    expect(err).toBeLessThan(1e-6);
  });

  it.each([
    [false, false],
    [true, false],
    [false, true],
  ] as const)('batch 2, alignCorners %s, halfPixelCenters %s: the gradient is the adjoint of the forward resize', (alignCorners, halfPixel) => {
    void tf.setBackend('wasm');
    const x = tf.tensor<tf.Rank.R4>(values(2 * 5 * 3 * 2, 41), [2, 5, 3, 2]);
    const dy = tf.tensor(values(2 * 8 * 7 * 2, 42), [2, 8, 7, 2]);
    const resize = (t: tf.Tensor): tf.Tensor => tf.image.resizeNearestNeighbor(t as tf.Tensor4D, [8, 7], alignCorners, halfPixel);
    const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(resize(t), dy)))(x);
    const lhs = tf.sum(tf.mul(resize(x), dy)).dataSync()[0] as number;
    const rhs = tf.sum(tf.mul(x, dx)).dataSync()[0] as number;
    expect(Math.abs(lhs - rhs)).toBeLessThan(1e-5 * Math.max(1, Math.abs(lhs)));
    tf.dispose([x, dy, dx]);
    void tf.setBackend('cpu');
  });
});

describe('conv3dTranspose gradient (absent from tfjs 4.22 on every backend)', () => {
  beforeAll(setUpBackends);

  it('on cpu: the gradient fuseflow registers matches central differences of the cpu forward', () => {
    // L(d, w) = <c, conv3dTranspose(d, w)> is bilinear, so its exact gradient in d is conv3d(c, w)
    // and in w the conv filter gradient; check against central differences of the cpu forward.
    const dShape = [1, 2, 2, 2, 2];
    const wShape = [2, 2, 2, 1, 2];
    const out: [number, number, number, number, number] = [1, 4, 4, 4, 1];
    const c = tf.tensor(values(64, 9), out);
    const loss = (d: tf.Tensor, w: tf.Tensor): tf.Scalar => tf.sum(tf.mul(tf.conv3dTranspose(d as tf.Tensor5D, w as tf.Tensor5D, out, 2, 'same'), c));
    const d0 = values(16, 10);
    const w0 = values(16, 11);
    const [gd, gw] = tf.grads(loss)([tf.tensor(d0, dShape), tf.tensor(w0, wShape)]);
    const fd = (which: 0 | 1, i: number): number => {
      const h = 1e-2;
      const at = (delta: number): number => {
        const d = Float32Array.from(d0);
        const w = Float32Array.from(w0);
        const v = which === 0 ? d : w;
        v[i] = (v[i] as number) + delta;
        return tf.tidy(() => loss(tf.tensor(d, dShape), tf.tensor(w, wShape)).dataSync()[0] as number);
      };
      return (at(h) - at(-h)) / (2 * h);
    };
    const fdD = Array.from({ length: 16 }, (_, i) => fd(0, i));
    const fdW = Array.from({ length: 16 }, (_, i) => fd(1, i));
    expect(relErr((gd as tf.Tensor).dataSync(), fdD)).toBeLessThan(1e-3);
    expect(relErr((gw as tf.Tensor).dataSync(), fdW)).toBeLessThan(1e-3);
    tf.dispose([c, gd, gw]);
  });
});
