import { execFileSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { OptionsError } from '../../src/core/errors.js';
import { useBackend } from '../../src/trainer/backend.js';

// On this machine the native packages are optional dependencies whose install was skipped, so
// the automatic choice is wasm and says why.

describe('useBackend', () => {
  it('auto: falls through tfjs-node-gpu and tfjs-node to wasm with fuseflow kernels, and says why', async () => {
    const lines: string[] = [];
    const choice = await useBackend(undefined, { log: (l) => lines.push(l), env: {} });
    expect(choice.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(choice.reason).toBe('tfjs-node-gpu not installed; tfjs-node not installed');
    expect(choice.summary).toMatch(/^wasm \[(no )?SIMD, \d+ threads?, fuseflow kernels\] \(tfjs-node-gpu not installed; tfjs-node not installed\)$/);
    expect(lines).toEqual([`fuseflow backend: ${choice.summary}`]);
    expect(choice.kernels?.added).toContain('Conv2DBackpropFilter');
    expect(choice.kernels?.replaced).toEqual(
      expect.arrayContaining(['Conv3D', 'Conv3DBackpropFilterV2', 'Conv3DBackpropInputV2', 'Conv2DBackpropInput', 'MaxPoolGrad', 'MaxPool3DGrad', 'BatchMatMul']),
    );
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  it('name wins over FUSEFLOW_BACKEND; the env var is read when no name is given', async () => {
    const cpu = await useBackend('cpu', { log: null, env: { FUSEFLOW_BACKEND: 'wasm' } });
    expect([cpu.name, cpu.reason, tf.getBackend()]).toEqual(['cpu', 'requested', 'cpu']);
    const wasm = await useBackend(undefined, { log: null, env: { FUSEFLOW_BACKEND: 'wasm' } });
    expect([wasm.name, wasm.reason, tf.getBackend()]).toEqual(['wasm', 'FUSEFLOW_BACKEND=wasm', 'wasm']);
    const auto = await useBackend(undefined, { log: null, env: { FUSEFLOW_BACKEND: 'auto' } });
    expect(auto.name).toBe('wasm');
    await useBackend('cpu', { log: null });
  });

  it('an explicit request for native TensorFlow that cannot load fails with the reason', async () => {
    await expect(useBackend('tensorflow', { log: null })).rejects.toThrow(
      "backend 'tensorflow' was requested but cannot be used: tfjs-node-gpu not installed; tfjs-node not installed",
    );
    await expect(useBackend(undefined, { log: null, env: { FUSEFLOW_BACKEND: 'tensorflow' } })).rejects.toThrow(/cannot be used/);
  });

  it('rejects unknown names from the caller and from the environment', async () => {
    await expect(useBackend('webgl' as never, { log: null })).rejects.toThrow(OptionsError);
    await expect(useBackend(undefined, { log: null, env: { FUSEFLOW_BACKEND: 'gpu' } })).rejects.toThrow(
      "FUSEFLOW_BACKEND='gpu' is not a backend; expected one of tensorflow, webgpu, wasm, cpu or auto",
    );
  });

  it('webgpu, only by name: trains on the GPU where Dawn finds an adapter, else fails saying what is missing and leaves the backend as it was', async () => {
    await useBackend('cpu', { log: null });
    const auto = await useBackend(undefined, { log: null, env: {} });
    expect(auto.name).not.toBe('webgpu');
    await useBackend('cpu', { log: null });
    const hadGpu = (globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu !== undefined;
    let choice: Awaited<ReturnType<typeof useBackend>> | undefined;
    try {
      choice = await useBackend(undefined, { log: null, env: { FUSEFLOW_BACKEND: 'webgpu' } });
    } catch (err) {
      // no GPU here (CI): the reason names the package or the adapter and how to fix it
      expect((err as Error).message).toMatch(
        /^webgpu backend: (webgpu is not installed \(npm install webgpu @tensorflow\/tfjs-backend-webgpu\)|the webgpu package loaded but found no GPU adapter; on Linux Dawn needs a Vulkan loader)/,
      );
      expect(tf.getBackend()).toBe('cpu');
      if (!hadGpu) expect((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu).toBeUndefined();
      return;
    }
    // a GPU: the same product as the pure-JS backend's, to float32 rounding
    expect([choice.name, choice.reason, tf.getBackend()]).toEqual(['webgpu', 'FUSEFLOW_BACKEND=webgpu', 'webgpu']);
    const a = Array.from({ length: 64 * 48 }, (_, i) => Math.sin(i));
    const b = Array.from({ length: 48 * 32 }, (_, i) => Math.cos(i));
    const gpu = tf.matMul(tf.tensor2d(a, [64, 48]), tf.tensor2d(b, [48, 32])).dataSync();
    await useBackend('cpu', { log: null });
    const cpu = tf.matMul(tf.tensor2d(a, [64, 48]), tf.tensor2d(b, [48, 32])).dataSync();
    cpu.forEach((v, i) => expect(gpu[i]).toBeCloseTo(v, 4));
  });

  it('kernel registration is idempotent', async () => {
    const a = await useBackend('wasm', { log: null });
    const b = await useBackend('wasm', { log: null });
    expect(b.kernels).toBe(a.kernels);
    await useBackend('cpu', { log: null });
  });

  it('importing fuseflow does not make wasm the default backend (sync tf calls keep working before useBackend)', () => {
    const code = ["import * as tf from '@tensorflow/tfjs';", "await import('./src/trainer/backend.ts');", 'console.log(tf.add(1, 2).dataSync()[0], tf.getBackend());'].join('\n');
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(out.trim().split('\n').pop()).toBe('3 cpu');
  });
});
