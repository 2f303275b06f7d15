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
  /** Moving-average momentum. Default 0.9 (PyTorch's 0.1 in its convention; Keras uses 0.99, too slow for short runs). */
  readonly momentum?: number;
  /** Added to the variance. Default 1e-3 (Keras). */
  readonly epsilon?: number;
  readonly name?: string;
  /** Whether gamma and beta train (a frozen layer also keeps its moving statistics, see `models/trainable`). Default true; read back from checkpointed topologies. */
  readonly trainable?: boolean;
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
    super({ ...(args.name === undefined ? {} : { name: args.name }), ...(args.trainable === undefined ? {} : { trainable: args.trainable }) });
    this.momentum = args.momentum ?? 0.9;
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
      const channels = x.shape[x.shape.length - 1] as number;
      const n = x.size / channels;
      const { y, mean, variance } = trainingNorm(x, gamma, beta, this.epsilon);
      const unbiased = n > 1 ? tf.mul(variance, n / (n - 1)) : variance;
      tf.tidy(() => {
        mm.write(tf.add(tf.mul(mm.read(), this.momentum), tf.mul(mean, 1 - this.momentum)));
        mv.write(tf.add(tf.mul(mv.read(), this.momentum), tf.mul(unbiased, 1 - this.momentum)));
      });
      return y;
    }
    return normalize(x, mm.read(), mv.read(), gamma, beta, this.epsilon);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), momentum: this.momentum, epsilon: this.epsilon };
  }
}
tf.serialization.registerClass(FuseflowBatchNorm);

/** Per-channel mean of `[M, C]` rows as a `[1, M] × [M, C]` product (reductions over leading axes are slow on wasm). */
function channelMean(rows: tf.Tensor2D): tf.Tensor2D {
  return tf.matMul(tf.fill([1, rows.shape[0]], 1 / rows.shape[0]), rows);
}

/**
 * Batch normalization with batch statistics and a hand-written gradient whose reductions are
 * matrix products: `x̂ = (x − μ)/σ`, `y = γx̂ + β`; `dβ = Σdy`, `dγ = Σdy·x̂`,
 * `dx = (γ/σ)·(dy − mean(dy) − x̂·mean(dy·x̂))`. The statistics are returned without gradient.
 */
function trainingNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor } {
  const channels = x.shape[x.shape.length - 1] as number;
  const n = x.size / channels;
  const stats = tf.tidy(() => {
    const rows = tf.reshape<tf.Rank.R2>(x, [n, channels]);
    const mean = channelMean(rows);
    const variance = channelMean(tf.square(tf.sub<tf.Tensor2D>(rows, mean)));
    return { mean: tf.reshape(mean, [channels]), variance: tf.reshape(variance, [channels]) };
  });
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xs, g, b, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const rows = tf.reshape(xs, [n, channels]);
    const rstd = tf.rsqrt(tf.add(stats.variance, epsilon));
    const xhat = tf.mul(tf.sub(rows, stats.mean), rstd);
    save([xhat, rstd, g]);
    const value = tf.reshape(tf.add(tf.mul(xhat, g), b), xs.shape);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, rs, gm] = saved as [tf.Tensor2D, tf.Tensor, tf.Tensor];
        const d = tf.reshape<tf.Rank.R2>(dy, [n, channels]);
        const meanDy = channelMean(d);
        const meanDyXhat = channelMean(tf.mul<tf.Tensor2D>(d, xh));
        const dx = tf.mul(tf.mul(gm, rs), tf.sub(tf.sub(d, meanDy), tf.mul(xh, meanDyXhat)));
        return [tf.reshape(dx, xs.shape), tf.reshape(tf.mul(meanDyXhat, n), [channels]), tf.reshape(tf.mul(meanDy, n), [channels])];
      },
    };
  });
  return { y: f(x, gamma, beta), mean: stats.mean, variance: stats.variance };
}

/**
 * `(x − mean)·rsqrt(var + ε)·γ + β` from elementwise ops: tfjs's fused batch-norm gradient
 * breaks on rank-5 inputs, these ops differentiate at any rank.
 */
function normalize(x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): tf.Tensor {
  return tf.add(tf.mul(tf.sub(x, mean), tf.mul(tf.rsqrt(tf.add(variance, epsilon)), gamma)), beta);
}

/**
 * A batch-normalization layer for any rank.
 * @example batchNorm({ name: 'bn1' }).apply(x)
 */
export function batchNorm(args: BatchNormArgs = {}): FuseflowBatchNorm {
  return new FuseflowBatchNorm(args);
}
