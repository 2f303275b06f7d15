/**
 * The flat float32 layout of a model's weights and gradients in shared memory (see
 * {@link WeightLayout}): weights in `net.weights` order, gradients in `trainableVariables()`
 * order, one gradient region per replica followed by that replica's state weights (batch-norm
 * moving statistics, which each replica updates from its own slice; frozen layers' weights are not
 * state: no replica changes them, so they are not copied back).
 */
import type { DictModel } from '../models/dict-model.js';
import { stateWeightFlags } from '../models/trainable.js';
import type { WeightLayout } from './replica-protocol.js';

/** The layout of `model`'s weights and gradients. */
export function weightLayout(model: DictModel): WeightLayout {
  let offset = 0;
  // `trainable` here means learnable (frozen or not): only state weights are copied back.
  const state = stateWeightFlags(model.net);
  const weights = model.net.weights.map((w, i) => {
    const size = w.shape.reduce<number>((a, d) => a * (d ?? 1), 1);
    const entry = { offset, size, trainable: state[i] !== true };
    offset += size;
    return entry;
  });
  const weightFloats = offset;
  offset = 0;
  // tfjs-layers keeps each weight's tf.Variable in LayerVariable.val (as dict-model's trainableVariables reads it)
  const where = new Map(model.net.weights.map((w, i) => [(w as unknown as { val: { name: string } }).val.name, weights[i]?.offset ?? 0]));
  const grads = model.trainableVariables().map((v) => {
    const weightOffset = where.get(v.name);
    if (weightOffset === undefined) throw new Error(`weight layout: trainable variable '${v.name}' is not among the network's weights`);
    const entry = { offset, size: v.size, weightOffset };
    offset += v.size;
    return entry;
  });
  const gradFloats = offset;
  const stateFloats = weights.filter((w) => !w.trainable).reduce((a, w) => a + w.size, 0);
  return { weights, weightFloats, grads, gradFloats, regionFloats: gradFloats + stateFloats };
}
