import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { convBackpropFilter, convBackpropInput } from '../../../src/trainer/kernels/conv-backprop.js';
import { conv3dGeometry } from '../../../src/trainer/kernels/conv-geometry.js';
import { conv3dForward } from '../../../src/trainer/kernels/conv3d.js';
import { relErr, setUpBackends, values } from './backends.js';
import { convFilterGrad, convForward, convInputGrad } from './reference-conv.js';

describe('conv gradients in bounded chunks', () => {
  beforeAll(setUpBackends);

  it.each([1, 40, 100, 1 << 24])('im2col bound %i floats gives the same forward and gradients as the convolution sum', (bound) => {
    void tf.setBackend('wasm');
    const backend = tf.backend() as BackendWasm;
    const xShape = [3, 5, 6, 4, 2];
    const fShape = [3, 2, 3, 2, 3];
    const g = conv3dGeometry(xShape, fShape, [2, 1, 2], 'same');
    const xv = values(
      xShape.reduce((a, b) => a * b, 1),
      21,
    );
    const fv = values(
      fShape.reduce((a, b) => a * b, 1),
      22,
    );
    const dyv = values(g.batch * g.outDepth * g.outHeight * g.outWidth * g.outChannels, 23);
    const x = tf.tensor(xv, xShape);
    const f = tf.tensor(fv, fShape);
    const dy = tf.tensor(dyv, [g.batch, g.outDepth, g.outHeight, g.outWidth, g.outChannels]);
    const before = backend.numDataIds();
    const dw = convBackpropFilter(backend, x, dy, g, fShape, bound);
    const dx = convBackpropInput(backend, dy, f, g, xShape, bound);
    const y = conv3dForward(backend, x, f, { strides: [2, 1, 2], pad: 'same' }, bound);
    expect(backend.numDataIds()).toBe(before + 3); // only the three results are left on the heap
    expect(relErr(backend.typedArrayFromHeap(y), convForward(g, xv, fv))).toBeLessThan(1e-5);
    backend.disposeData(y.dataId);
    expect(relErr(backend.typedArrayFromHeap(dw), convFilterGrad(g, xv, dyv))).toBeLessThan(1e-5);
    expect(relErr(backend.typedArrayFromHeap(dx), convInputGrad(g, fv, dyv))).toBeLessThan(1e-5);
    backend.disposeData(dw.dataId);
    backend.disposeData(dx.dataId);
    tf.dispose([x, f, dy]);
    expect(backend.numDataIds()).toBe(before - 3);
    void tf.setBackend('cpu');
  });
});

describe('memory: a training step leaves no tensor and no wasm buffer behind', () => {
  beforeAll(setUpBackends);

  it('fixed CNN (conv/pool/dense, Adam) and a strided 3D conv net: counts flat over steps', () => {
    void tf.setBackend('wasm');
    const backend = tf.backend() as BackendWasm;
    const w1 = tf.variable(tf.tensor(values(3 * 3 * 1 * 4, 31), [3, 3, 1, 4]));
    const w2 = tf.variable(tf.tensor(values(3 * 3 * 4 * 6, 32), [3, 3, 4, 6]));
    const w3 = tf.variable(tf.tensor(values(3 * 3 * 6 * 3, 33), [3 * 3 * 6, 3]));
    const k1 = tf.variable(tf.tensor(values(3 * 3 * 3 * 1 * 4, 34), [3, 3, 3, 1, 4]));
    const k2 = tf.variable(tf.tensor(values(2 * 2 * 2 * 4 * 4, 35), [2, 2, 2, 4, 4]));
    const opt = tf.train.adam(1e-3);
    const x2 = tf.tensor(values(4 * 28 * 28, 36), [4, 28, 28, 1]);
    const x3 = tf.tensor(values(2 * 8 * 8 * 8, 37), [2, 8, 8, 8, 1]);
    const step = (): void => {
      const cost = opt.minimize(() => {
        const a = tf.maxPool(tf.relu(tf.conv2d(x2 as tf.Tensor4D, w1 as tf.Tensor4D, 1, 'valid')), 2, 2, 'valid');
        const b = tf.maxPool(tf.relu(tf.conv2d(a, w2 as tf.Tensor4D, 2, 'same')), 2, 2, 'valid');
        const logits = tf.matMul(b.reshape([4, -1]), w3);
        const c = tf.relu(tf.conv3d(x3 as tf.Tensor5D, k1 as tf.Tensor5D, 2, 'same'));
        const up = tf.conv3dTranspose(c, k2 as tf.Tensor5D, [2, 8, 8, 8, 4], 2, 'same');
        return tf.add<tf.Scalar>(tf.mean(tf.square(logits)), tf.mean(tf.square(up)));
      }, true);
      cost?.dispose();
    };
    step();
    const tensors = tf.memory().numTensors;
    const buffers = backend.numDataIds();
    for (let i = 0; i < 4; i++) step();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backend.numDataIds()).toBe(buffers);
    tf.dispose([w1, w2, w3, k1, k2, x2, x3]);
    opt.dispose();
    void tf.setBackend('cpu');
  });
});
