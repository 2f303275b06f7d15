import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BINARY_KERNELS, collapsedBinary, gpuErrorScope, guardWebgpuKernels, withGpuErrorScope } from '../../src/trainer/webgpu-guard.js';

// The guard's shape logic runs on the pure-JS backend here (same kernel contract as webgpu's);
// the WebGPU shader it avoids was seen failing on an NVIDIA H200 (see webgpu-guard.ts).

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Runs a binary kernel of the cpu backend, plain or through collapsedBinary; returns shape and values. */
function run(name: string, a: tf.Tensor, b: tf.Tensor, guarded: boolean): { shape: number[]; values: number[] } {
  const stock = tf.getKernel(name, 'cpu')?.kernelFunc;
  if (stock === undefined) throw new Error(`no cpu kernel ${name}`);
  const f = guarded ? collapsedBinary(stock, 'cpu') : stock;
  const info = f({ inputs: { a, b }, backend: tf.backend(), attrs: {} }) as tf.TensorInfo;
  const t = tf.engine().makeTensorFromTensorInfo(info);
  const out = { shape: t.shape, values: Array.from(t.dataSync()) };
  t.dispose();
  return out;
}

describe('collapsedBinary (rank-5/6 tensor against a vector of its last dimension)', () => {
  it('gives the same shape and bits as the stock kernel, either operand order, and frees its views', () => {
    const x = tf.randomNormal([2, 3, 4, 5, 6], 0, 1, 'float32', 1);
    const x6 = tf.randomNormal([2, 1, 3, 2, 2, 7], 0, 1, 'float32', 2);
    const v = tf.tensor1d([0.5, -1, 2, 3, -0.25, 1.5]);
    const v7 = tf.randomUniform([7], 0.5, 2, 'float32', 3);
    const before = tf.memory().numDataBuffers;
    for (const name of ['Add', 'Sub', 'Multiply', 'RealDiv', 'Maximum', 'SquaredDifference']) {
      for (const [a, b] of [
        [x, v],
        [v, x],
        [x6, v7],
        [v7, x6],
      ] as const) {
        const plain = run(name, a, b, false);
        const guarded = run(name, a, b, true);
        expect(guarded.shape).toEqual(plain.shape);
        expect(guarded.values).toEqual(plain.values);
      }
    }
    expect(tf.memory().numDataBuffers).toBe(before);
    // hand-derived element: x[1,2,3,4,5] + v[5]
    const sum = run('Add', x, v, true);
    const at = (((1 * 3 + 2) * 4 + 3) * 5 + 4) * 6 + 5;
    expect(sum.values[at]).toBeCloseTo(x.dataSync()[at]! + 1.5, 6);
    tf.dispose([x, x6, v, v7]);
  });

  it('leaves every other broadcast to the stock kernel', () => {
    const cases: [number[], number[]][] = [
      [[2, 3, 4, 6], [6]], // rank 4: the shader is valid
      [[2, 3, 4, 5, 200], [200]], // 128 or more values: not the shared shader
      [[2, 3, 4, 5, 1], [1]],
      [
        [2, 3, 4, 5, 6],
        [1, 6],
      ], // not a vector
      [
        [2, 3, 4, 5, 6],
        [2, 3, 4, 5, 6],
      ],
    ];
    for (const [sa, sb] of cases) {
      const a = tf.randomNormal(sa, 0, 1, 'float32', 4);
      const b = tf.randomNormal(sb, 0, 1, 'float32', 5);
      expect(run('Add', a, b, true)).toEqual(run('Add', a, b, false));
      tf.dispose([a, b]);
    }
  });
});

describe('guardWebgpuKernels', () => {
  it('wraps every binary kernel tfjs-backend-webgpu registers (importing it registers kernels without a GPU), once', async () => {
    await import('@tensorflow/tfjs-backend-webgpu');
    const first = guardWebgpuKernels();
    expect(first).toEqual(BINARY_KERNELS); // every one exists in tfjs-webgpu's registry
    expect(first).toContain('Add');
    expect(guardWebgpuKernels()).toEqual([]);
    expect((tf.getKernel('Add', 'webgpu') as { fuseflowGuarded?: boolean }).fuseflowGuarded).toBe(true);
    expect(tf.getBackend()).toBe('cpu');
  });
});

describe('gpuErrorScope', () => {
  it('is a no-op off WebGPU: results and errors of the step pass through', async () => {
    await expect(gpuErrorScope('x').close()).resolves.toBeUndefined();
    await expect(withGpuErrorScope('step', () => Promise.resolve(42))).resolves.toBe(42);
    await expect(withGpuErrorScope('step', () => Promise.reject(new Error('own failure')))).rejects.toThrow('own failure');
  });
});
