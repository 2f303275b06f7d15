/**
 * The replica pool's main-thread model and the pool's shared weights (`WeightLayout`), kept
 * equal: the model's weights copied in before a sharded step that needs them, read back after
 * each one; and, for the pool's `gradients`, the summed regions turned into the model's state
 * weights (batch-norm statistics) and gradient tensors. Copies only: the values are not changed.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { DictModel } from '../models/dict-model.js';
import type { WeightLayout } from './replica-protocol.js';

/** A model's weights against the pool's shared weights. */
export interface SharedModelWeights {
  /** Copies every weight of the model (trainable and state) into the shared weights. */
  toShared(): void;
  /** Sets the model's trainable variables and state weights to the shared weights. */
  fromShared(): void;
  /**
   * From a sum of the regions (`sumRegions`): writes its state part into the model's state
   * weights and returns its gradient part, one new tensor per trainable variable (owned by the caller).
   */
  fromSum(sum: Float32Array): tf.Tensor[];
}

/**
 * The copies between `model` and `weights` (a view of the pool's shared weights laid out by `layout`).
 * @example const sync = sharedModelWeights(model, layout, weights); sync.toShared();
 */
export function sharedModelWeights(model: DictModel, layout: WeightLayout, weights: Float32Array): SharedModelWeights {
  const variables = model.trainableVariables();
  const state = model.net.weights.flatMap((w, i) => {
    const at = layout.weights[i];
    return at?.trainable === false ? [{ w, at }] : [];
  });
  // On wasm a float32 tensor's bytes are read in place on the heap (dataSync would copy them into
  // a new array every call); other backends read a copy.
  const wasm = tf.getBackend() === 'wasm' ? (tf.backend() as unknown as BackendWasm) : null;
  const valuesOf = (t: tf.Tensor): Float32Array => (wasm !== null && t.dtype === 'float32' ? (wasm.typedArrayFromHeap(t) as Float32Array) : (t.dataSync() as Float32Array));
  const gradAt = (i: number): WeightLayout['grads'][number] => {
    const g = layout.grads[i];
    if (g === undefined) throw new Error(`replica pool: trainable variable ${i} is missing from the weight layout`);
    return g;
  };
  return {
    toShared: () => model.net.weights.forEach((w, i) => weights.set(valuesOf(w.read()), layout.weights[i]?.offset ?? 0)),
    fromShared() {
      variables.forEach((v, i) => {
        const g = gradAt(i);
        const t = tf.tensor(weights.subarray(g.weightOffset, g.weightOffset + g.size), v.shape);
        v.assign(t);
        t.dispose();
      });
      for (const { w, at } of state) {
        const t = tf.tensor(weights.subarray(at.offset, at.offset + at.size), w.shape as number[]);
        w.write(t);
        t.dispose();
      }
    },
    fromSum(sum) {
      let at = layout.gradFloats;
      for (const { w } of state) {
        const n = w.shape.reduce<number>((a, d) => a * (d ?? 1), 1);
        const t = tf.tensor(sum.subarray(at, at + n), w.shape as number[]);
        w.write(t);
        t.dispose();
        at += n;
      }
      return variables.map((v, i) => {
        const g = gradAt(i);
        return tf.tensor(sum.subarray(g.offset, g.offset + g.size), v.shape);
      });
    },
  };
}
