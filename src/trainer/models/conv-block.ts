/**
 * Convolution + batch norm (optional) (+ ReLU) in 2D or 3D: the building block shared by the ResNet and
 * U-Net backbones. Internal to the trainer.
 */
import * as tf from '@tensorflow/tfjs';
import type { BuildContext } from './build-context.js';
import { batchNorm } from './batch-norm.js';

/** Options of one convolution block. */
export interface ConvBlockOptions {
  readonly dims: 2 | 3;
  readonly filters: number;
  readonly kernel: number;
  readonly stride: number;
  /** Apply ReLU after batch norm. */
  readonly relu: boolean;
  /** Batch norm after the convolution (else the convolution gets a bias). Default true. */
  readonly batchNorm?: boolean;
}

/** Applies conv → batch norm → (ReLU) to `x`. */
export function convBlock(x: tf.SymbolicTensor, o: ConvBlockOptions, ctx: BuildContext, prefix: string): tf.SymbolicTensor {
  const conv = {
    filters: o.filters,
    kernelSize: o.kernel,
    strides: o.stride,
    padding: 'same' as const,
    useBias: o.batchNorm === false,
    kernelInitializer: ctx.heNormal(),
    name: ctx.name(`${prefix}_conv`),
  };
  let y = (o.dims === 2 ? tf.layers.conv2d(conv) : tf.layers.conv3d(conv)).apply(x) as tf.SymbolicTensor;
  if (o.batchNorm !== false) y = batchNorm({ name: ctx.name(`${prefix}_bn`) }).apply(y) as tf.SymbolicTensor;
  if (o.relu) y = tf.layers.reLU({ name: ctx.name(`${prefix}_relu`) }).apply(y) as tf.SymbolicTensor;
  return y;
}
