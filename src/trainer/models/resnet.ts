/**
 * ResNet backbones in 2D and 3D (FuseMedML's BackboneResnet / BackboneResnet3D, scaled for
 * CPUs): a stem convolution, then stages of basic residual blocks; every stage after the first
 * halves the resolution with a stride-2 convolution (and a stride-2 1×1 projection on the
 * shortcut). Batch norm after every convolution. Features: the last stage's feature map
 * (heads pool it).
 */
import * as tf from '@tensorflow/tfjs';
import { OptionsError } from '../../core/errors.js';
import type { Backbone } from './backbone.js';
import { convBlock } from './conv-block.js';

/** Options of {@link resnet}. */
export interface ResnetOptions {
  /** 2 for images `[y, x, c]`, 3 for volumes `[z, y, x, c]`. Required. */
  readonly dims: 2 | 3;
  /** Filters of each stage. Default `[16, 32, 64]`. */
  readonly filters?: readonly number[];
  /** Residual blocks per stage. Default 1. */
  readonly blocksPerStage?: number;
  /** Stride of the stem convolution. Default 1. */
  readonly stemStride?: number;
  /** Kernel size of the stem convolution. Default 3. */
  readonly stemKernel?: number;
}

/**
 * A ResNet backbone.
 * @example resnet({ dims: 3, filters: [8, 16, 32] })
 * @throws {OptionsError} for a bad dims, filters, block count or stride.
 */
export function resnet(options: ResnetOptions): Backbone {
  const { dims } = options;
  const filters = options.filters ?? [16, 32, 64];
  const blocks = options.blocksPerStage ?? 1;
  const stemStride = options.stemStride ?? 1;
  const stemKernel = options.stemKernel ?? 3;
  if (dims !== 2 && dims !== 3) throw new OptionsError(`resnet: dims must be 2 or 3, got ${String(dims)}`);
  if (filters.length === 0 || !filters.every((f) => Number.isInteger(f) && f > 0)) {
    throw new OptionsError(`resnet: filters must be positive integers, got [${filters.join(', ')}]`);
  }
  for (const [name, v] of [
    ['blocksPerStage', blocks],
    ['stemStride', stemStride],
    ['stemKernel', stemKernel],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new OptionsError(`resnet: ${name} must be a positive integer, got ${v}`);
  }
  return {
    kind: `resnet${dims}d`,
    build(input, ctx) {
      const first = filters[0] as number;
      let x = convBlock(input, { dims, filters: first, kernel: stemKernel, stride: stemStride, relu: true }, ctx, 'stem');
      filters.forEach((f, stage) => {
        for (let b = 0; b < blocks; b++) {
          const stride = stage > 0 && b === 0 ? 2 : 1;
          const prefix = `s${stage}b${b}`;
          let y = convBlock(x, { dims, filters: f, kernel: 3, stride, relu: true }, ctx, prefix);
          y = convBlock(y, { dims, filters: f, kernel: 3, stride: 1, relu: false }, ctx, prefix);
          const channels = x.shape[x.shape.length - 1];
          const shortcut = stride !== 1 || channels !== f ? convBlock(x, { dims, filters: f, kernel: 1, stride, relu: false }, ctx, `${prefix}_proj`) : x;
          x = tf.layers.add({ name: ctx.name(`${prefix}_add`) }).apply([y, shortcut]) as tf.SymbolicTensor;
          x = tf.layers.reLU({ name: ctx.name(`${prefix}_out`) }).apply(x) as tf.SymbolicTensor;
        }
      });
      return x;
    },
  };
}
