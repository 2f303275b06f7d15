/**
 * Soft Dice loss (FuseMedML's BinaryDiceLoss per class): for each sample and each foreground
 * class `c`, `1 − (2·Σ p_c·t_c + ε) / (Σ t_c + Σ p_c + ε)` over spatial positions, with `p` the
 * softmax scores and `t` the one-hot targets; mean over samples and classes.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionsError } from '../../core/errors.js';
import { checkLossOptions, lossTerm, readClassTargets, readPred, type Loss, type LossOptions } from './loss.js';

/** Options of {@link dice}. */
export interface DiceOptions extends LossOptions {
  /** `pred` holds logits (softmax applied here) or scores. Default false (scores, e.g. `model.output.<head>`). */
  readonly fromLogits?: boolean;
  /** Classes the loss averages over. Default: every class but 0 (background). */
  readonly classes?: readonly number[];
  /** Smoothing ε. Default 1e-5 (FuseMedML's default). */
  readonly eps?: number;
}

/**
 * Dice loss on dense class scores `[N, ...spatial, C]` against class maps `[N, ...spatial]`.
 * @example dice({ pred: 'model.output.seg', target: 'data.gt.mask' })
 * @throws {OptionsError} for bad keys, weight, eps or classes.
 */
export function dice(options: DiceOptions): Loss {
  const weight = checkLossOptions('dice', options);
  const eps = options.eps ?? 1e-5;
  if (!(eps > 0)) throw new OptionsError(`dice: eps must be > 0, got ${eps}`);
  if (options.classes !== undefined && (options.classes.length === 0 || !options.classes.every((c) => Number.isInteger(c) && c >= 0))) {
    throw new OptionsError('dice: classes must be non-negative integers');
  }
  return lossTerm('dice', options, weight, (batch, outputs, ctx) => {
    const raw = readPred(batch, outputs, options.pred, ctx);
    const numClasses = raw.shape[raw.shape.length - 1] as number;
    const scores = options.fromLogits === true ? tf.softmax(raw) : raw;
    const target = readClassTargets(batch, options.target, raw, ctx);
    const n = raw.shape[0];
    const p = scores.reshape([n, -1, numClasses]);
    const t = tf.oneHot(target.reshape([n, -1]), numClasses).toFloat();
    const inter = tf.sum(tf.mul(p, t), 1);
    const denom = tf.add(tf.sum(p, 1), tf.sum(t, 1));
    const perClass = tf.sub(1, tf.div(tf.add(tf.mul(inter, 2), eps), tf.add(denom, eps)));
    const classes = options.classes ?? Array.from({ length: numClasses - 1 }, (_, i) => i + 1);
    // mean over the chosen classes by a 0/1 class mask (a gather's gradient needs a kernel wasm lacks)
    const chosen = new Float32Array(numClasses);
    for (const c of classes) if (c < numClasses) chosen[c] = 1;
    const used = chosen.reduce((a, b) => a + b, 0);
    return tf.div<tf.Scalar>(tf.sum(tf.mul(perClass, tf.tensor1d(chosen))), n * used);
  });
}
