/**
 * Global average or max pooling of a feature map of any rank to `[batch, channels]`; vectors
 * pass through. Internal to the heads.
 */
import * as tf from '@tensorflow/tfjs';
import type { BuildContext } from '../models/build-context.js';

/** Pooling applied by heads to feature maps. */
export type Pooling = 'avg' | 'max';

/** Pools `x` (`[batch, ...spatial, channels]`) over its spatial axes. */
export function globalPool(x: tf.SymbolicTensor, pooling: Pooling, ctx: BuildContext, prefix: string): tf.SymbolicTensor {
  if (x.shape.length <= 2) return x;
  const channels = x.shape[x.shape.length - 1] as number;
  let flat = x;
  if (x.shape.length !== 3) {
    const positions = x.shape.slice(1, -1).reduce<number>((a, d) => a * (d as number), 1);
    flat = tf.layers.reshape({ targetShape: [positions, channels], name: ctx.name(`${prefix}_flat`) }).apply(x) as tf.SymbolicTensor;
  }
  const layer = pooling === 'avg' ? tf.layers.globalAveragePooling1d({ name: ctx.name(`${prefix}_gap`) }) : tf.layers.globalMaxPooling1d({ name: ctx.name(`${prefix}_gmp`) });
  return layer.apply(flat) as tf.SymbolicTensor;
}
