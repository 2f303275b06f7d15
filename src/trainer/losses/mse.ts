/** Mean squared error between a prediction and a real-valued target of the same size. */
import * as tf from '@tensorflow/tfjs';
import { checkLossOptions, readDenseTargets, readPred, type Loss, type LossOptions } from './loss.js';

/** Options of {@link mse}. */
export type MseOptions = LossOptions;

/**
 * MSE loss.
 * @example mse({ pred: 'model.output.age', target: 'data.age' })
 * @throws {OptionsError} for bad keys or weight; at run time TypeMismatchError for mismatched sizes.
 */
export function mse(options: MseOptions): Loss {
  const weight = checkLossOptions('mse', options);
  return {
    name: options.name ?? 'mse',
    weight,
    pred: options.pred,
    target: options.target,
    compute(batch, outputs, ctx) {
      return tf.tidy(() => {
        const pred = readPred(batch, outputs, options.pred, ctx);
        const t = readDenseTargets(batch, options.target, pred, ctx);
        return tf.mean(tf.squaredDifference(pred, t)) as tf.Scalar;
      });
    },
  };
}
