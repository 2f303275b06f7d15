import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { globalPool } from '../../../src/trainer/heads/global-pool.js';
import type { Backbone } from '../../../src/trainer/models/backbone.js';
import { buildContext } from '../../../src/trainer/models/build-context.js';
import { resnet } from '../../../src/trainer/models/resnet.js';
import { unet3d } from '../../../src/trainer/models/unet3d.js';
import { relErr, setUpBackends, values } from './backends.js';

// Every kernel a training step of fuseflow's 2D/3D ResNet (stride-2 convolutions, batch norm)
// and 3D U-Net (conv3dTranspose upsampling) needs, on wasm: the gradients of all weights match
// the pure-JS backend from the same initial weights.

function weightGrads(backend: 'cpu' | 'wasm', backbone: Backbone, inShape: number[], pool: boolean): Float32Array[] {
  void tf.setBackend(backend);
  const input = tf.input({ shape: inShape.slice(1) });
  const ctx = buildContext(11);
  let out = backbone.build(input, ctx);
  if (pool) out = globalPool(out, 'avg', ctx, 'pool');
  const model = tf.model({ inputs: input, outputs: out });
  const x = tf.tensor(
    values(
      inShape.reduce((a, b) => a * b, 1),
      12,
    ),
    inShape,
  );
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { grads } = tf.variableGrads(() => {
    const y = model.apply(x, { training: true }) as tf.Tensor;
    return tf.sum<tf.Scalar>(tf.mul(y, tf.sin(tf.mul(tf.range(0, y.size).reshape(y.shape), 0.37))));
  }, vars);
  const out2 = vars.map((v) => Float32Array.from((grads[v.name] as tf.Tensor).dataSync()));
  tf.dispose(Object.values(grads));
  tf.dispose(x);
  model.dispose();
  void tf.setBackend('cpu');
  return out2;
}

describe('fuseflow backbones train on wasm with the same gradients as on cpu', () => {
  beforeAll(setUpBackends);

  it.each([
    ['resnet 2D', () => resnet({ dims: 2, filters: [4, 8] }), [2, 12, 12, 2], true],
    ['resnet 3D', () => resnet({ dims: 3, filters: [4, 8] }), [2, 8, 8, 8, 1], true],
    ['unet3d', () => unet3d({ baseFilters: 4, levels: 2 }), [2, 8, 8, 8, 1], false],
  ] as const)('%s', (_, make, inShape, pool) => {
    const cpu = weightGrads('cpu', make(), [...inShape], pool);
    const wasm = weightGrads('wasm', make(), [...inShape], pool);
    expect(wasm.length).toBe(cpu.length);
    const errs = wasm.map((g, i) => relErr(g, cpu[i] as Float32Array));
    expect(Math.max(...errs)).toBeLessThan(1e-4);
  });
});
