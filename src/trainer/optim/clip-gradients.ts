/**
 * Gradient clipping by global L2 norm (PyTorch's `clip_grad_norm_`): when the norm over all
 * gradients exceeds `maxNorm`, every gradient is scaled by `maxNorm / (norm + 1e-6)`.
 */
import * as tf from '@tensorflow/tfjs';

/** The gradients scaled for a global norm `norm` (new tensors, owned by the caller). */
function scaledToNorm(grads: readonly tf.Tensor[], norm: number, maxNorm: number): { grads: tf.Tensor[]; norm: number } {
  if (!(norm > maxNorm)) return { grads: grads.map((g) => g.clone()), norm };
  const scale = maxNorm / (norm + 1e-6);
  return { grads: grads.map((g) => tf.mul(g, scale)), norm };
}

const globalNorm = (grads: readonly tf.Tensor[]): tf.Tensor => tf.tidy(() => tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))));

/**
 * Returns the clipped gradients (new tensors, owned by the caller) and the norm before clipping.
 * @example const { grads, norm } = clipByGlobalNorm(raw, 1.0);
 */
export function clipByGlobalNorm(grads: readonly tf.Tensor[], maxNorm: number): { grads: tf.Tensor[]; norm: number } {
  const normT = globalNorm(grads);
  const norm = (normT.dataSync() as Float32Array)[0] as number;
  normT.dispose();
  return scaledToNorm(grads, norm, maxNorm);
}

/**
 * {@link clipByGlobalNorm}, reading the norm back asynchronously: the same result, on every
 * backend (tfjs's WebGPU backend has no synchronous read in Node).
 */
export async function clipByGlobalNormAsync(grads: readonly tf.Tensor[], maxNorm: number): Promise<{ grads: tf.Tensor[]; norm: number }> {
  const normT = globalNorm(grads);
  const norm = ((await normT.data()) as Float32Array)[0] as number;
  normT.dispose();
  return scaledToNorm(grads, norm, maxNorm);
}
