/**
 * Binary cross-entropy against 0/1 targets, from logits (numerically stable form
 * `max(x,0) − x·t + log(1 + e^−|x|)`) or from probabilities (clipped to [ε, 1−ε]); mean over
 * all elements.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionsError } from '../../core/errors.js';
import { checkLossOptions, lossTerm, predAndDenseTargets, type Loss, type LossOptions } from './loss.js';

/** Options of {@link binaryCrossEntropy}. */
export interface BinaryCrossEntropyOptions extends LossOptions {
  /** `pred` holds logits (true) or probabilities (false). Default true. */
  readonly fromLogits?: boolean;
  /** Weight of positive targets. Default 1. */
  readonly posWeight?: number;
}

/**
 * Binary cross-entropy loss.
 * @example binaryCrossEntropy({ pred: 'model.output.risk', target: 'data.event', fromLogits: false })
 * @throws {OptionsError} for bad keys, weight or posWeight.
 */
export function binaryCrossEntropy(options: BinaryCrossEntropyOptions): Loss {
  const weight = checkLossOptions('binaryCrossEntropy', options);
  const fromLogits = options.fromLogits ?? true;
  const posWeight = options.posWeight ?? 1;
  if (!Number.isFinite(posWeight) || posWeight <= 0) throw new OptionsError(`binaryCrossEntropy: posWeight must be > 0, got ${posWeight}`);
  return lossTerm('binaryCrossEntropy', options, weight, (batch, outputs, ctx) => {
    const { pred, target: t } = predAndDenseTargets(batch, outputs, options, ctx);
    let perElement: tf.Tensor;
    if (fromLogits) {
      // −[w·t·log σ(x) + (1−t)·log(1−σ(x))], with log σ(x) = −softplus(−x), log(1−σ(x)) = −softplus(x)
      perElement = tf.add(tf.mul(tf.mul(t, posWeight), tf.softplus(tf.neg(pred))), tf.mul(tf.sub(1, t), tf.softplus(pred)));
    } else {
      const p = tf.clipByValue(pred, 1e-7, 1 - 1e-7);
      perElement = tf.neg(tf.add(tf.mul(tf.mul(t, posWeight), tf.log(p)), tf.mul(tf.sub(1, t), tf.log(tf.sub(1, p)))));
    }
    return tf.mean<tf.Scalar>(perElement);
  });
}
