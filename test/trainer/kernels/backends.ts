/**
 * Test helpers: the wasm backend (with fuseflow's kernels) and the pure-JS cpu backend live in
 * one process; a gradient is computed on each from the same inputs and compared.
 */
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../../src/trainer/backend.js';

/** Initialises both backends once (wasm with fuseflow's kernels) and leaves cpu active. */
export async function setUpBackends(): Promise<void> {
  await useBackend('wasm', { log: null });
  await useBackend('cpu', { log: null });
}

/** Deterministic values in [-0.5, 0.5) (an LCG; tests need no Math.random). */
export function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

/** A fixed, position-dependent weighting so the loss gradient is not uniform. */
export function weightedSum(y: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mul(y, tf.sin(tf.mul(tf.range(0, y.size).reshape(y.shape), 0.37))).sum());
}

/** Gradients of `f` at inputs of `shapes` (filled by {@link values}) on `backend`, as arrays. */
export function gradsOn(backend: 'cpu' | 'wasm', shapes: readonly (readonly number[])[], f: (...xs: tf.Tensor[]) => tf.Scalar): Float32Array[] {
  void tf.setBackend(backend);
  if (tf.getBackend() !== backend) throw new Error(`backend ${backend} is not active (got ${tf.getBackend()})`);
  const inputs = shapes.map((s, i) =>
    tf.tensor(
      values(
        s.reduce((a, b) => a * b, 1),
        i + 1,
      ),
      [...s],
    ),
  );
  const gs = tf.grads((...xs: tf.Tensor[]) => f(...xs))(inputs);
  const out = gs.map((g) => g.dataSync() as Float32Array).map((a) => Float32Array.from(a));
  tf.dispose([...gs, ...inputs]);
  return out;
}

/** max |a − b| / max |b|: the relative error the bars are stated in. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs((a[i] as number) - (b[i] as number)));
    den = Math.max(den, Math.abs(b[i] as number));
  }
  return den === 0 ? num : num / den;
}

/** Relative errors of the wasm gradients against the cpu ones, input by input. */
export function wasmVsCpu(shapes: readonly (readonly number[])[], f: (...xs: tf.Tensor[]) => tf.Scalar): number[] {
  const ref = gradsOn('cpu', shapes, f);
  const got = gradsOn('wasm', shapes, f);
  void tf.setBackend('cpu');
  return got.map((g, i) => relErr(g, ref[i] as Float32Array));
}
