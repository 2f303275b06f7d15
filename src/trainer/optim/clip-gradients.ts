/**
 * Gradient clipping by global L2 norm (PyTorch's `clip_grad_norm_`): when the norm over all
 * gradients exceeds `maxNorm`, every gradient is scaled by `maxNorm / (norm + 1e-6)`.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Returns the clipped gradients (new tensors, owned by the caller) and the norm before clipping.
 * @example const { grads, norm } = clipByGlobalNorm(raw, 1.0);
 */
export function clipByGlobalNorm(grads: readonly tf.Tensor[], maxNorm: number): { grads: tf.Tensor[]; norm: number } {
  const normT = tf.tidy(() => tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))));
  const norm = (normT.dataSync() as Float32Array)[0] as number;
  normT.dispose();
  if (!(norm > maxNorm)) return { grads: grads.map((g) => g.clone()), norm };
  const scale = maxNorm / (norm + 1e-6);
  return { grads: grads.map((g) => tf.mul(g, scale)), norm };
}
