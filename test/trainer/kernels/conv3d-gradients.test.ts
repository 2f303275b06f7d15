import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { relErr, setUpBackends, values, wasmVsCpu, weightedSum } from './backends.js';

interface Case {
  readonly x: readonly [number, number, number, number, number];
  readonly f: readonly [number, number, number, number, number];
  readonly s: number | [number, number, number];
  readonly pad: 'valid' | 'same';
}

const cases: Case[] = [];
for (const s of [1, 2, 3, [1, 2, 3], [2, 1, 1]] as const) {
  for (const pad of ['valid', 'same'] as const) {
    cases.push({ x: [2, 6, 7, 5, 3], f: [3, 3, 3, 3, 4], s: s as Case['s'], pad });
    cases.push({ x: [3, 5, 4, 6, 2], f: [2, 3, 1, 2, 3], s: s as Case['s'], pad });
  }
}
cases.push({ x: [2, 8, 8, 8, 2], f: [1, 1, 1, 2, 4], s: 2, pad: 'same' });

describe('conv3d gradients on wasm (fuseflow kernels) match the pure-JS backend', () => {
  beforeAll(setUpBackends);

  it.each(cases.map((c) => [`x ${c.x.join(',')} f ${c.f.join(',')} stride ${String(c.s)} pad ${c.pad}`, c] as const))('%s', (_, c) => {
    const errs = wasmVsCpu([c.x, c.f], (x, f) => weightedSum(tf.conv3d(x as tf.Tensor5D, f as tf.Tensor5D, c.s, c.pad)));
    expect(errs[0]).toBeLessThan(1e-4); // input gradient (Conv3DBackpropInputV2)
    expect(errs[1]).toBeLessThan(1e-4); // filter gradient (Conv3DBackpropFilterV2)
  });

  it.each(cases.map((c) => [`forward: x ${c.x.join(',')} f ${c.f.join(',')} stride ${String(c.s)} pad ${c.pad}`, c] as const))('%s', (_, c) => {
    const run = (backend: 'cpu' | 'wasm'): Float32Array => {
      void tf.setBackend(backend);
      const y = tf.tidy(() =>
        tf.conv3d(
          tf.tensor<tf.Rank.R5>(
            values(
              c.x.reduce((a, b) => a * b, 1),
              1,
            ),
            [...c.x],
          ),
          tf.tensor<tf.Rank.R5>(
            values(
              c.f.reduce((a, b) => a * b, 1),
              2,
            ),
            [...c.f],
          ),
          c.s,
          c.pad,
        ),
      );
      const out = Float32Array.from(y.dataSync());
      y.dispose();
      return out;
    };
    expect(relErr(run('wasm'), run('cpu'))).toBeLessThan(1e-5);
    void tf.setBackend('cpu');
  });

  it('conv3dTranspose (U-Net upsampling): forward and both gradients, stride 2', () => {
    const errs = wasmVsCpu(
      [
        [2, 3, 3, 4, 4],
        [2, 2, 2, 3, 4],
      ],
      (x, f) => weightedSum(tf.conv3dTranspose(x as tf.Tensor5D, f as tf.Tensor5D, [2, 6, 6, 8, 3], 2, 'same')),
    );
    for (const e of errs) expect(e).toBeLessThan(1e-4);
  });
});
