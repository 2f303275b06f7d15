/**
 * Dropout whose masks are reproducible: each mask is drawn from fuseflow's counter-based {@link Rng}
 * keyed by `(seed, layer name, training step)`, so a run resumed from a checkpoint draws the
 * same masks as an uninterrupted one (tfjs's own dropout draws from a global generator). In
 * training, elements are zeroed with probability `rate` and the rest scaled by `1/(1−rate)`;
 * in inference the layer is the identity. The step arrives as the `step` keyword argument that
 * {@link DictModel.forward} passes down. Registered for serialization.
 */
import * as tf from '@tensorflow/tfjs';
import { TypeMismatchError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';

/** Options of the layer. */
export interface SeededDropoutArgs {
  /** Fraction of elements zeroed in training, in [0, 1). Required. */
  readonly rate: number;
  /** Seed of the masks. Required. */
  readonly seed: number;
  readonly name?: string;
}

/** The layer class (use {@link seededDropout} to make one). */
export class FuseflowDropout extends tf.layers.Layer {
  static readonly className = 'FuseflowDropout';
  private readonly rate: number;
  private readonly seed: number;

  constructor(args: SeededDropoutArgs) {
    super(args.name === undefined ? {} : { name: args.name });
    this.rate = args.rate;
    this.seed = args.seed;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const x = Array.isArray(inputs) ? (inputs[0] as tf.Tensor) : inputs;
    if (kwargs['training'] !== true || this.rate === 0) return x;
    const step = kwargs['step'];
    if (typeof step !== 'number')
      throw new TypeMismatchError(`dropout layer '${this.name}': training needs the step number (call the model through DictModel.forward with a step)`);
    const rng = Rng.fromParts(['fuseflow.dropout', this.seed, this.name, step]);
    const keep = 1 / (1 - this.rate);
    const mask = new Float32Array(x.size);
    for (let i = 0; i < mask.length; i++) mask[i] = rng.next() < this.rate ? 0 : keep;
    return tf.mul(x, tf.tensor(mask, x.shape));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}
tf.serialization.registerClass(FuseflowDropout);

/**
 * A reproducible dropout layer.
 * @example seededDropout({ rate: 0.1, seed: ctx.nextSeed(), name: ctx.name('head_dropout') }).apply(x)
 */
export function seededDropout(args: SeededDropoutArgs): FuseflowDropout {
  return new FuseflowDropout(args);
}
