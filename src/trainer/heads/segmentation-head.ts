/**
 * A dense segmentation head (FuseMedML's HeadDenseSegmentation): optional hidden 1×1
 * convolutions, then per-pixel (2D) or per-voxel (3D) class logits and softmax scores at the
 * feature map's resolution.
 *
 * Writes `model.logits.<name>` (`[batch, ...spatial, numClasses]`) and `model.output.<name>`.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionsError, TypeMismatchError } from '../../core/errors.js';
import type { Head } from '../models/backbone.js';

/** Options of {@link segmentationHead}. */
export interface SegmentationHeadOptions {
  /** Head name. Default `'head_0'`. */
  readonly name?: string;
  /** Number of classes (≥ 2, background included). Default 2. */
  readonly numClasses?: number;
  /** Hidden 1×1 convolution widths before the classifier. Default `[]`. */
  readonly layers?: readonly number[];
}

/**
 * A dense segmentation head over 2D or 3D feature maps.
 * @example segmentationHead({ name: 'brain', numClasses: 2 })
 * @throws {OptionsError} for fewer than 2 classes; {@link TypeMismatchError} at build time for features that are not 2D/3D maps.
 */
export function segmentationHead(options: SegmentationHeadOptions = {}): Head {
  const name = options.name ?? 'head_0';
  const numClasses = options.numClasses ?? 2;
  const layers = options.layers ?? [];
  if (!Number.isInteger(numClasses) || numClasses < 2) throw new OptionsError(`segmentationHead '${name}': numClasses must be an integer ≥ 2, got ${numClasses}`);
  if (!layers.every((u) => Number.isInteger(u) && u > 0)) throw new OptionsError(`segmentationHead '${name}': layers must be positive integers`);
  return {
    name,
    extraInputs: [],
    build(features, _extra, ctx) {
      const rank = features.shape.length;
      if (rank !== 4 && rank !== 5) throw new TypeMismatchError(`segmentationHead '${name}': needs 2D or 3D feature maps, got shape [${features.shape.join(',')}]`);
      const conv = (filters: number, prefix: string, relu: boolean): tf.layers.Layer => {
        const o = {
          filters,
          kernelSize: 1,
          activation: relu ? ('relu' as const) : ('linear' as const),
          kernelInitializer: relu ? ctx.heNormal() : ctx.glorotUniform(),
          name: ctx.name(`${name}_${prefix}`),
        };
        return rank === 4 ? tf.layers.conv2d(o) : tf.layers.conv3d(o);
      };
      let x = features;
      for (const f of layers) x = conv(f, 'hidden', true).apply(x) as tf.SymbolicTensor;
      const logits = conv(numClasses, 'logits', false).apply(x) as tf.SymbolicTensor;
      const scores = tf.layers.softmax({ axis: -1, name: ctx.name(`${name}_softmax`) }).apply(logits) as tf.SymbolicTensor;
      return { [`model.logits.${name}`]: logits, [`model.output.${name}`]: scores };
    },
  };
}
