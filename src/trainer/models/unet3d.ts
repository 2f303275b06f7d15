/**
 * A small 3D U-Net style segmenter backbone (FuseMedML's UNet3D, scaled for CPUs): an encoder
 * of conv blocks that halves the resolution with stride-2 convolutions, a decoder that doubles
 * it back with stride-2 transposed convolutions and merges the encoder's skip features (added by
 * default, or concatenated).
 * Features: the full-resolution decoder output (a dense segmentation head turns them into
 * per-voxel class scores). Each spatial size must be divisible by `2^(levels-1)`.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionsError, TypeMismatchError } from '../../core/errors.js';
import type { Backbone } from './backbone.js';
import { convBlock } from './conv-block.js';

/** Options of {@link unet3d}. */
export interface Unet3dOptions {
  /** Filters at the first level; each deeper level doubles them. Default 8. */
  readonly baseFilters?: number;
  /** Resolution levels (including the full one). Default 3. */
  readonly levels?: number;
  /**
   * How decoder features meet the encoder's skip features: `'concat'` (the original U-Net) or
   * `'add'` (LinkNet-style, fewer channels; its gradient avoids the channel-axis split that is
   * slow on the wasm backend). Default `'add'`.
   */
  readonly skip?: 'concat' | 'add';
  /** Batch norm after each convolution. Default true. */
  readonly batchNorm?: boolean;
}

/**
 * A 3D U-Net backbone.
 * @example multiHeadModel({ inputs: [{ key: 'data.patch', shape: [16, 16, 16, 1] }], backbone: unet3d({ baseFilters: 4 }), heads: [segmentationHead({ name: 'seg', numClasses: 2 })] })
 * @throws {OptionsError} for non-positive options; {@link TypeMismatchError} at build time when the input size is not divisible.
 */
export function unet3d(options: Unet3dOptions = {}): Backbone {
  const base = options.baseFilters ?? 8;
  const levels = options.levels ?? 3;
  if (!Number.isInteger(base) || base < 1) throw new OptionsError(`unet3d: baseFilters must be a positive integer, got ${base}`);
  if (!Number.isInteger(levels) || levels < 1) throw new OptionsError(`unet3d: levels must be a positive integer, got ${levels}`);
  const skip = options.skip ?? 'add';
  const batchNorm = options.batchNorm ?? true;
  if (skip !== 'add' && skip !== 'concat') throw new OptionsError(`unet3d: skip must be 'add' or 'concat', got ${String(skip)}`);
  return {
    kind: 'unet3d',
    build(input, ctx) {
      const spatial = input.shape.slice(1, 4);
      const factor = 2 ** (levels - 1);
      if (input.shape.length !== 5 || spatial.some((d) => d === null || d % factor !== 0)) {
        throw new TypeMismatchError(`unet3d: input shape [${input.shape.join(',')}] must be [batch, z, y, x, c] with sizes divisible by ${factor}`);
      }
      const skips: tf.SymbolicTensor[] = [];
      let x = input;
      for (let level = 0; level < levels; level++) {
        const f = base * 2 ** level;
        if (level > 0) x = convBlock(x, { dims: 3, filters: f, kernel: 3, stride: 2, relu: true, batchNorm }, ctx, `enc${level}_down`);
        x = convBlock(x, { dims: 3, filters: f, kernel: 3, stride: 1, relu: true, batchNorm }, ctx, `enc${level}`);
        skips.push(x);
      }
      for (let level = levels - 2; level >= 0; level--) {
        const f = base * 2 ** level;
        x = tf.layers
          .conv3dTranspose({ filters: f, kernelSize: 2, strides: 2, padding: 'same', kernelInitializer: ctx.heNormal(), name: ctx.name(`dec${level}_up`) })
          .apply(x) as tf.SymbolicTensor;
        const merge = skip === 'add' ? tf.layers.add({ name: ctx.name(`dec${level}_add`) }) : tf.layers.concatenate({ axis: -1, name: ctx.name(`dec${level}_cat`) });
        x = merge.apply([x, skips[level] as tf.SymbolicTensor]) as tf.SymbolicTensor;
        x = convBlock(x, { dims: 3, filters: f, kernel: 3, stride: 1, relu: true, batchNorm }, ctx, `dec${level}`);
      }
      return x;
    },
  };
}
