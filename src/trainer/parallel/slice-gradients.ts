/**
 * One participant's part of a data-parallel step: forward, losses and backward of its slice of
 * the batch, the loss scaled by `rows of slice / rows of batch`, and its gradients (then its
 * state weights: batch-norm moving statistics) written into its region of the shared gradient
 * buffer (`WeightLayout`). The replica workers and the main thread (which computes slice 0)
 * run this same code on their own model, so a slice's gradients do not depend on which thread
 * computed it.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { Sample } from '../../core/sample.js';
import { totalLoss, type Loss } from '../losses/loss.js';
import type { DictModel } from '../models/dict-model.js';
import type { WeightLayout } from './replica-protocol.js';

/** What {@link sliceGradients} needs. */
export interface SliceGradientsOptions {
  /** The model whose weights the slice is computed at. Required. */
  readonly model: DictModel;
  readonly losses: readonly Loss[];
  readonly layout: WeightLayout;
  /** This participant's region of the shared gradient buffer (`layout.regionFloats` elements). */
  readonly region: Float32Array;
}

/** A slice's loss values: the slice's own (unscaled) total and each loss's unweighted value. */
export interface SliceLoss {
  readonly total: number;
  readonly terms: readonly number[];
}

/**
 * A function computing one slice's gradients into `region`.
 * @example const compute = sliceGradients({ model, losses, layout, region }); compute(batch, 0.5, step);
 * @throws {Error} (from the returned function) when the slice fails (a missing key, a bad shape),
 * naming the variable when a gradient is missing.
 */
export function sliceGradients(options: SliceGradientsOptions): (batch: Sample, scale: number, step: number) => SliceLoss {
  const { model, losses, layout, region } = options;
  const net = model.net;
  const variables = model.trainableVariables();
  // On wasm a float32 tensor's bytes are read in place on the heap (dataSync would copy them into
  // a new array each step: garbage for this thread's collector); other backends read a copy.
  const wasm = tf.getBackend() === 'wasm' ? (tf.backend() as unknown as BackendWasm) : null;
  const valuesOf = (t: tf.Tensor): Float32Array => (wasm !== null && t.dtype === 'float32' ? (wasm.typedArrayFromHeap(t) as Float32Array) : (t.dataSync() as Float32Array));
  return (batch, scale, step) => {
    const ctx = { step, phase: 'train' };
    let kept: tf.Tensor[] = [];
    const { value, grads } = tf.variableGrads(() => {
      const outputs = model.forward(batch, { ...ctx, training: true });
      const { total, terms } = totalLoss(losses, batch, outputs, ctx);
      kept = [tf.keep(total.clone()), tf.keep(tf.stack(Object.values(terms)))];
      return tf.mul(total, scale);
    }, variables);
    try {
      variables.forEach((v, i) => {
        const g = grads[v.name];
        const at = layout.grads[i];
        if (g === undefined || at === undefined) throw new Error(`no gradient for variable '${v.name}'`);
        region.set(valuesOf(g), at.offset);
      });
      let at = layout.gradFloats;
      for (const [i, w] of net.weights.entries()) {
        if (layout.weights[i]?.trainable !== false) continue;
        const data = valuesOf(w.read());
        region.set(data, at);
        at += data.length;
      }
      const [total, terms] = kept;
      return { total: (total?.dataSync() as Float32Array)[0] ?? Number.NaN, terms: Array.from(terms?.dataSync() ?? []) };
    } finally {
      tf.dispose([value, ...Object.values(grads), ...kept]);
    }
  };
}
