import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { setUpBackends, wasmVsCpu, weightedSum } from './backends.js';

type Pad = 'valid' | 'same' | [[number, number], [number, number], [number, number], [number, number]];

interface Case {
  readonly x: readonly [number, number, number, number];
  readonly f: readonly [number, number, number, number];
  readonly s: number | [number, number];
  readonly pad: Pad;
}

const cases: Case[] = [];
for (const s of [1, 2, 3, [1, 2], [2, 1]] as const) {
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
    cases.push({ x: [2, 9, 8, 3], f: [3, 3, 3, 4], s: s as Case['s'], pad: pad as Pad });
    cases.push({ x: [3, 7, 10, 2], f: [2, 3, 2, 5], s: s as Case['s'], pad: pad as Pad });
  }
}
cases.push({ x: [2, 6, 6, 4], f: [1, 1, 4, 3], s: 1, pad: 'valid' });
cases.push({ x: [2, 6, 6, 4], f: [1, 1, 4, 3], s: 2, pad: 'same' });
cases.push({ x: [1, 5, 5, 1], f: [5, 5, 1, 2], s: 1, pad: 'valid' });
cases.push({ x: [4, 28, 28, 1], f: [3, 3, 1, 8], s: 1, pad: 'valid' });

describe('conv2d gradients on wasm (fuseflow kernels) match the pure-JS backend', () => {
  beforeAll(setUpBackends);

  it.each(cases.map((c) => [`x ${c.x.join(',')} f ${c.f.join(',')} stride ${String(c.s)} pad ${JSON.stringify(c.pad)}`, c] as const))('%s', (_, c) => {
    const errs = wasmVsCpu([c.x, c.f], (x, f) => weightedSum(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.s, c.pad)));
    expect(errs[0]).toBeLessThan(1e-4); // input gradient (Conv2DBackpropInput)
    expect(errs[1]).toBeLessThan(1e-4); // filter gradient (Conv2DBackpropFilter)
  });

  it('conv2dTranspose (forward = Conv2DBackpropInput) and its gradients, stride 2', () => {
    const errs = wasmVsCpu(
      [
        [2, 4, 5, 4],
        [3, 3, 3, 4],
      ],
      (x, f) => weightedSum(tf.conv2dTranspose(x as tf.Tensor4D, f as tf.Tensor4D, [2, 8, 10, 3], 2, 'same')),
    );
    for (const e of errs) expect(e).toBeLessThan(1e-4);
  });

  it('fused conv + bias + relu, as tfjs-layers runs it', () => {
    const errs = wasmVsCpu([[2, 8, 8, 3], [3, 3, 3, 4], [4]], (x, f, b) =>
      weightedSum(tf.fused.conv2d({ x: x as tf.Tensor4D, filter: f as tf.Tensor4D, bias: b, strides: 2, pad: 'same', activation: 'relu' })),
    );
    for (const e of errs) expect(e).toBeLessThan(1e-4);
  });

  it('rejects int32 inputs with the kernel and input named', () => {
    void tf.setBackend('wasm');
    const x = tf.zeros([1, 4, 4, 1], 'int32');
    const dy = tf.zeros([1, 2, 2, 1]);
    expect(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'valid', filterShape: [3, 3, 1, 1], dataFormat: 'NHWC' })).toThrow(
      /Conv2DBackpropFilter: input 'x' must be float32, got int32/,
    );
    tf.dispose([x, dy]);
    void tf.setBackend('cpu');
  });
});
