/** Mean squared error between a prediction and a real-valued target of the same size. */
import * as tf from '@tensorflow/tfjs';
import { checkLossOptions, lossTerm, predAndDenseTargets, type Loss, type LossOptions } from './loss.js';

/** Options of {@link mse}. */
export type MseOptions = LossOptions;

/**
 * MSE loss.
 * @example mse({ pred: 'model.output.age', target: 'data.age' })
 * @throws {OptionsError} for bad keys or weight; at run time TypeMismatchError for mismatched sizes.
 */
export function mse(options: MseOptions): Loss {
  const weight = checkLossOptions('mse', options);
  return lossTerm('mse', options, weight, (batch, outputs, ctx) => {
    const { pred, target } = predAndDenseTargets(batch, outputs, options, ctx);
    return tf.mean<tf.Scalar>(tf.squaredDifference(pred, target));
  });
}
