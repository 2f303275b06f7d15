import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { conv2dGeometry, conv3dGeometry, type ConvGeometry } from '../../../src/trainer/kernels/conv-geometry.js';
import { relErr, setUpBackends, values } from './backends.js';
import { convForward } from './reference-conv.js';

// Central finite differences in float64 of L(x, w) = Σ c_i · tanh(conv(x, w)_i), against the
// wasm backend's gradients of the same loss (float32, fuseflow's kernels).

function coeffs(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => Math.sin(0.37 * i));
}

function loss64(g: ConvGeometry, x: ArrayLike<number>, w: ArrayLike<number>, c: Float64Array): number {
  const y = convForward(g, x, w);
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (c[i] as number) * Math.tanh(y[i] as number);
  return s;
}

function finiteDiff(f: (v: Float64Array) => number, at: Float64Array, h = 1e-5): Float64Array {
  const out = new Float64Array(at.length);
  const v = Float64Array.from(at);
  for (let i = 0; i < at.length; i++) {
    const keep = v[i] as number;
    v[i] = keep + h;
    const up = f(v);
    v[i] = keep - h;
    const down = f(v);
    v[i] = keep;
    out[i] = (up - down) / (2 * h);
  }
  return out;
}

function check(xShape: number[], fShape: number[], g: ConvGeometry, conv: (x: tf.Tensor, f: tf.Tensor) => tf.Tensor): void {
  const x = Float64Array.from(
    values(
      xShape.reduce((a, b) => a * b, 1),
      5,
    ),
  );
  const w = Float64Array.from(
    values(
      fShape.reduce((a, b) => a * b, 1),
      6,
    ),
  );
  const nOut = g.batch * g.outDepth * g.outHeight * g.outWidth * g.outChannels;
  const c = coeffs(nOut);
  const fdX = finiteDiff((v) => loss64(g, v, w, c), x);
  const fdW = finiteDiff((v) => loss64(g, x, v, c), w);
  void tf.setBackend('wasm');
  const [gx, gw] = tf.tidy(() => {
    const ct = tf.tensor(Float32Array.from(c));
    const grads = tf.grads((xt: tf.Tensor, ft: tf.Tensor) => tf.sum(tf.mul(tf.tanh(conv(xt, ft)).reshape([-1]), ct)))([
      tf.tensor(Float32Array.from(x), xShape),
      tf.tensor(Float32Array.from(w), fShape),
    ]);
    return grads.map((t) => t.dataSync() as Float32Array);
  }) as [Float32Array, Float32Array];
  void tf.setBackend('cpu');
  expect(relErr(gx, fdX)).toBeLessThan(1e-4);
  expect(relErr(gw, fdW)).toBeLessThan(1e-4);
}

describe('conv gradients on wasm against float64 finite differences', () => {
  beforeAll(setUpBackends);

  it('2D, stride 2, same padding, batch 2, 2 → 3 channels', () => {
    const xShape = [2, 5, 6, 2];
    const fShape = [3, 3, 2, 3];
    check(xShape, fShape, conv2dGeometry(xShape, fShape, 2, 'same'), (x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, 'same'));
  });

  it('2D, strides [1, 3], valid padding, 2×2 filter', () => {
    const xShape = [2, 4, 7, 1];
    const fShape = [2, 2, 1, 2];
    check(xShape, fShape, conv2dGeometry(xShape, fShape, [1, 3], 'valid'), (x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, [1, 3], 'valid'));
  });

  it('3D, stride 2, same padding, batch 2, 2 → 2 channels', () => {
    const xShape = [2, 4, 3, 5, 2];
    const fShape = [3, 2, 3, 2, 2];
    check(xShape, fShape, conv3dGeometry(xShape, fShape, 2, 'same'), (x, f) => tf.conv3d(x as tf.Tensor5D, f as tf.Tensor5D, 2, 'same'));
  });
});
