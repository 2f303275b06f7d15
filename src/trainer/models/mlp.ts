/**
 * A multilayer perceptron backbone (FuseMedML's BackboneMultilayerPerceptron): dense layers with
 * ReLU, optional batch norm, on flat feature vectors. Input of rank > 2 is flattened first.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionsError } from '../../core/errors.js';
import { batchNorm } from './batch-norm.js';
import type { Backbone } from './backbone.js';

/** Options of {@link mlp}. */
export interface MlpOptions {
  /** Units of each hidden layer, e.g. `[64, 32]`. Required, at least one. */
  readonly layers: readonly number[];
  /** Batch normalization after each dense layer. Default false. */
  readonly batchNorm?: boolean;
}

/**
 * An MLP backbone; its features are the last hidden layer's activations.
 * @example multiHeadModel({ inputs: [{ key: 'data.x', shape: [30] }], backbone: mlp({ layers: [32, 16] }), heads: [classificationHead({ name: 'cls', numClasses: 2 })] })
 * @throws {OptionsError} when `layers` is empty or holds a non-positive integer.
 */
export function mlp(options: MlpOptions): Backbone {
  if (options.layers.length === 0 || !options.layers.every((u) => Number.isInteger(u) && u > 0)) {
    throw new OptionsError(`mlp: layers must be positive integers, got [${options.layers.join(', ')}]`);
  }
  const useBatchNorm = options.batchNorm ?? false;
  return {
    kind: 'mlp',
    build(input, ctx) {
      let x = input.shape.length > 2 ? (tf.layers.flatten({ name: ctx.name('mlp_flatten') }).apply(input) as tf.SymbolicTensor) : input;
      for (const units of options.layers) {
        x = tf.layers.dense({ units, kernelInitializer: ctx.heNormal(), name: ctx.name('mlp_dense') }).apply(x) as tf.SymbolicTensor;
        if (useBatchNorm) x = batchNorm({ name: ctx.name('mlp_bn') }).apply(x) as tf.SymbolicTensor;
        x = tf.layers.reLU({ name: ctx.name('mlp_relu') }).apply(x) as tf.SymbolicTensor;
      }
      return x;
    },
  };
}
