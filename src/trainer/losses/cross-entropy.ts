/**
 * Softmax cross-entropy on logits against class indices, for classification (`[N, C]` vs `[N]`)
 * and dense segmentation (`[N, ...spatial, C]` vs `[N, ...spatial]`), averaged over all
 * positions; optional per-class weights (normalized by the summed weights of the targets, as
 * PyTorch's `CrossEntropyLoss(weight=...)` does).
 */
import * as tf from '@tensorflow/tfjs';
import { OptionsError } from '../../core/errors.js';
import { checkLossOptions, lossTerm, oneHotLogSoftmax, type Loss, type LossOptions } from './loss.js';

/** Options of {@link crossEntropy}. */
export interface CrossEntropyOptions extends LossOptions {
  /** Weight of each class. Default: all 1. */
  readonly classWeights?: readonly number[];
}

/**
 * Cross-entropy loss. Reads logits at `pred` and integer classes at `target`.
 * @example crossEntropy({ pred: 'model.logits.head_0', target: 'data.label' })
 * @throws {OptionsError} for bad keys, weight or class weights; at run time TypeMismatchError for mismatched shapes.
 */
export function crossEntropy(options: CrossEntropyOptions): Loss {
  const weight = checkLossOptions('crossEntropy', options);
  const cw = options.classWeights;
  if (cw !== undefined && (cw.length < 2 || !cw.every((w) => Number.isFinite(w) && w >= 0))) {
    throw new OptionsError('crossEntropy: classWeights must hold at least 2 finite numbers ≥ 0');
  }
  return lossTerm('crossEntropy', options, weight, (batch, outputs, ctx) => {
    const { oneHot, logProbs } = oneHotLogSoftmax(batch, outputs, options, ctx);
    const perPosition = tf.neg(tf.sum(tf.mul(oneHot, logProbs), -1));
    if (cw === undefined) return tf.mean<tf.Scalar>(perPosition);
    const w = tf.sum(tf.mul(oneHot, tf.tensor1d([...cw])), -1);
    return tf.div<tf.Scalar>(tf.sum(tf.mul(perPosition, w)), tf.sum(w));
  });
}
