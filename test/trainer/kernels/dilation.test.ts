import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { conv2dGeometry, conv3dGeometry, type ConvGeometry } from '../../../src/trainer/kernels/conv-geometry.js';
import { relErr, setUpBackends, values } from './backends.js';
import { convFilterGrad, convInputGrad } from './reference-conv.js';

// tfjs 4.22's conv gradients refuse dilation > 1, so tf.grads cannot reach these paths and the
// pure-JS backend's gradient kernels ignore dilation: the kernels are called directly with a
// `dilations` attribute and checked against the float64 convolution sum.

function check(name: string, xShape: number[], fShape: number[], g: ConvGeometry, attrs: Record<string, unknown>): void {
  const xv = values(
    xShape.reduce((a, b) => a * b, 1),
    1,
  );
  const fv = values(
    fShape.reduce((a, b) => a * b, 1),
    2,
  );
  const dyShape = fShape.length === 4 ? [g.batch, g.outHeight, g.outWidth, g.outChannels] : [g.batch, g.outDepth, g.outHeight, g.outWidth, g.outChannels];
  const dyv = values(
    dyShape.reduce((a, b) => a * b, 1),
    3,
  );
  void tf.setBackend('wasm');
  const x = tf.tensor(xv, xShape);
  const f = tf.tensor(fv, fShape);
  const dy = tf.tensor(dyv, dyShape);
  const filterKernel = fShape.length === 4 ? 'Conv2DBackpropFilter' : 'Conv3DBackpropFilterV2';
  const inputKernel = fShape.length === 4 ? 'Conv2DBackpropInput' : 'Conv3DBackpropInputV2';
  const dw = tf.engine().runKernel<tf.Tensor>(filterKernel, { x, dy }, { ...attrs, filterShape: fShape });
  const dx = tf.engine().runKernel<tf.Tensor>(inputKernel, { dy, filter: f }, { ...attrs, inputShape: xShape });
  expect(relErr(dw.dataSync(), convFilterGrad(g, xv, dyv)), `${name} filter`).toBeLessThan(1e-5);
  expect(relErr(dx.dataSync(), convInputGrad(g, fv, dyv)), `${name} input`).toBeLessThan(1e-5);
  tf.dispose([x, f, dy, dw, dx]);
  void tf.setBackend('cpu');
}

describe('dilated convolution gradients against the float64 convolution sum', () => {
  beforeAll(setUpBackends);

  for (const dil of [2, 3, [2, 1]] as const) {
    for (const pad of ['valid', 'same'] as const) {
      for (const stride of [1, 2] as const) {
        it(`2D dilation ${String(dil)} stride ${stride} pad ${pad}`, () => {
          const xShape = [2, 11, 10, 3];
          const fShape = [3, 2, 3, 4];
          const g = conv2dGeometry(xShape, fShape, stride, pad, dil);
          check('2D', xShape, fShape, g, { strides: stride, pad, dilations: dil, dataFormat: 'NHWC' });
        });
      }
    }
  }

  for (const dil of [2, [1, 2, 3]] as const) {
    for (const pad of ['valid', 'same'] as const) {
      it(`3D dilation ${String(dil)} pad ${pad}`, () => {
        const xShape = [2, 7, 8, 9, 2];
        const fShape = [2, 3, 2, 2, 3];
        const g = conv3dGeometry(xShape, fShape, [1, 2, 1], pad, dil);
        check('3D', xShape, fShape, g, { strides: [1, 2, 1], pad, dilations: dil });
      });
    }
  }
});
