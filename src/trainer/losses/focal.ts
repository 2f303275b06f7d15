/**
 * Multi-class focal loss (Lin et al. 2017) on logits against class indices:
 * `−α_t · (1 − p_t)^γ · log p_t`, averaged over positions. γ = 0 and no α is cross-entropy.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionsError } from '../../core/errors.js';
import { checkLossOptions, lossTerm, oneHotLogSoftmax, type Loss, type LossOptions } from './loss.js';

/** Options of {@link focal}. */
export interface FocalOptions extends LossOptions {
  /** Focusing exponent γ ≥ 0. Default 2. */
  readonly gamma?: number;
  /** Per-class weight α. Default: all 1. */
  readonly alpha?: readonly number[];
}

/**
 * Focal loss.
 * @example focal({ pred: 'model.logits.head_0', target: 'data.label', gamma: 2 })
 * @throws {OptionsError} for bad keys, weight, gamma or alpha.
 */
export function focal(options: FocalOptions): Loss {
  const weight = checkLossOptions('focal', options);
  const gamma = options.gamma ?? 2;
  if (!Number.isFinite(gamma) || gamma < 0) throw new OptionsError(`focal: gamma must be ≥ 0, got ${gamma}`);
  const alpha = options.alpha;
  if (alpha !== undefined && !alpha.every((a) => Number.isFinite(a) && a >= 0)) throw new OptionsError('focal: alpha must hold finite numbers ≥ 0');
  return lossTerm('focal', options, weight, (batch, outputs, ctx) => {
    const { oneHot, logProbs } = oneHotLogSoftmax(batch, outputs, options, ctx);
    const logPt = tf.sum(tf.mul(oneHot, logProbs), -1);
    const pt = tf.exp(logPt);
    let perPosition = tf.neg(tf.mul(tf.pow(tf.sub(1, pt), gamma), logPt));
    if (alpha !== undefined) perPosition = tf.mul(perPosition, tf.sum(tf.mul(oneHot, tf.tensor1d([...alpha])), -1));
    return tf.mean<tf.Scalar>(perPosition);
  });
}
