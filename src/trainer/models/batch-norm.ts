/**
 * Batch normalization over the last (channel) axis for inputs of any rank. tfjs's own layer
 * stops at rank 4 in inference, which rules out 3D feature maps; this one normalizes `[batch,
 * ...spatial, channels]` of any rank. In training it uses the batch statistics and updates the
 * moving mean and variance (`moving = moving·momentum + batch·(1 − momentum)`, unbiased variance
 * as in Keras); in inference it uses the moving statistics. Registered for serialization, so
 * checkpointed topologies that use it rebuild.
 */
import * as tf from '@tensorflow/tfjs';

/** Options of the layer. */
export interface BatchNormArgs {
  /** Moving-average momentum. Default 0.99 (Keras). */
  readonly momentum?: number;
  /** Added to the variance. Default 1e-3 (Keras). */
  readonly epsilon?: number;
  readonly name?: string;
}

/** The layer class (use {@link batchNorm} to make one). */
export class FuseflowBatchNorm extends tf.layers.Layer {
  static readonly className = 'FuseflowBatchNorm';
  private readonly momentum: number;
  private readonly epsilon: number;
  private gamma: tf.LayerVariable | undefined;
  private beta: tf.LayerVariable | undefined;
  private movingMean: tf.LayerVariable | undefined;
  private movingVariance: tf.LayerVariable | undefined;

  constructor(args: BatchNormArgs = {}) {
    super(args.name === undefined ? {} : { name: args.name });
    this.momentum = args.momentum ?? 0.99;
    this.epsilon = args.epsilon ?? 1e-3;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const channels = shape[shape.length - 1] as number;
    this.gamma = this.addWeight('gamma', [channels], 'float32', tf.initializers.ones(), undefined, true);
    this.beta = this.addWeight('beta', [channels], 'float32', tf.initializers.zeros(), undefined, true);
    this.movingMean = this.addWeight('moving_mean', [channels], 'float32', tf.initializers.zeros(), undefined, false);
    this.movingVariance = this.addWeight('moving_variance', [channels], 'float32', tf.initializers.ones(), undefined, false);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const x = Array.isArray(inputs) ? (inputs[0] as tf.Tensor) : inputs;
    const gamma = (this.gamma as tf.LayerVariable).read();
    const beta = (this.beta as tf.LayerVariable).read();
    const mm = this.movingMean as tf.LayerVariable;
    const mv = this.movingVariance as tf.LayerVariable;
    if (kwargs['training'] === true) {
      const axes = x.shape.slice(0, -1).map((_, i) => i);
      const { mean, variance } = tf.moments(x, axes);
      const n = x.size / (x.shape[x.shape.length - 1] as number);
      const unbiased = n > 1 ? tf.mul(variance, n / (n - 1)) : variance;
      tf.tidy(() => {
        mm.write(tf.add(tf.mul(mm.read(), this.momentum), tf.mul(mean, 1 - this.momentum)));
        mv.write(tf.add(tf.mul(mv.read(), this.momentum), tf.mul(unbiased, 1 - this.momentum)));
      });
      return tf.batchNorm(x, mean, variance, beta, gamma, this.epsilon);
    }
    return tf.batchNorm(x, mm.read(), mv.read(), beta, gamma, this.epsilon);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), momentum: this.momentum, epsilon: this.epsilon };
  }
}
tf.serialization.registerClass(FuseflowBatchNorm);

/**
 * A batch-normalization layer for any rank.
 * @example batchNorm({ name: 'bn1' }).apply(x)
 */
export function batchNorm(args: BatchNormArgs = {}): FuseflowBatchNorm {
  return new FuseflowBatchNorm(args);
}
