/**
 * A network that reads its inputs from batch keys and writes its outputs under `model.*` keys
 * (FuseMedML's ModelWrapSeqToDict / ModelMultiHead contract). The network itself is a tfjs
 * functional LayersModel, so it serializes to JSON topology + weights for checkpoints.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionsError } from '../../core/errors.js';
import { setKeys, type Sample } from '../../core/sample.js';
import { tensor as makeTensor, type Tensor } from '../../core/tensor.js';
import { fitInputShape, readBatchTensor, type ReadContext } from '../batch-input.js';
import { withGpuErrorScope } from '../webgpu-guard.js';
import type { ModelInput } from './backbone.js';
import { frozenBatchNormInference } from './trainable.js';

/** The serializable binding between batch keys and the network's inputs and outputs. */
export interface DictModelBinding {
  /** One per network input, in the network's input order. */
  readonly inputs: readonly ModelInput[];
  /** Batch key of each network output, in the network's output order. */
  readonly outputs: readonly string[];
}

/** A network on batch dictionaries. */
export interface DictModel {
  readonly net: tf.LayersModel;
  readonly binding: DictModelBinding;
  /**
   * Runs the network on a batch; returns each output by key. Tensors are owned by the caller
   * (call inside `tf.tidy`). `training` switches batch norm to batch statistics.
   * @throws {MissingKeyError} for an absent input key; {@link TypeMismatchError} for a shape the network does not take.
   */
  forward(batch: Sample, options?: { readonly training?: boolean } & ReadContext): Readonly<Record<string, tf.Tensor>>;
  /** Runs the network (inference mode) and returns the batch with outputs written at their keys as plain tensors. */
  predict(batch: Sample, ctx?: ReadContext): Promise<Sample>;
  /** Trainable variables, in a fixed order. */
  trainableVariables(): tf.Variable[];
}

/**
 * Wraps a tfjs LayersModel whose inputs and outputs are bound to batch keys.
 * @example const model = dictModel(net, { inputs: [{ key: 'data.x', shape: [30] }], outputs: ['model.logits.cls'] });
 * @throws {OptionsError} when the binding does not match the network's input/output counts.
 */
export function dictModel(net: tf.LayersModel, binding: DictModelBinding): DictModel {
  if (binding.inputs.length !== net.inputs.length) {
    throw new OptionsError(`dictModel: the network has ${net.inputs.length} inputs, the binding names ${binding.inputs.length}`);
  }
  if (binding.outputs.length !== net.outputs.length) {
    throw new OptionsError(`dictModel: the network has ${net.outputs.length} outputs, the binding names ${binding.outputs.length}`);
  }
  frozenBatchNormInference(net);
  const forward = (batch: Sample, options: { readonly training?: boolean } & ReadContext = {}): Record<string, tf.Tensor> => {
    const ctx: ReadContext = { ...(options.step === undefined ? {} : { step: options.step }), ...(options.phase === undefined ? {} : { phase: options.phase }) };
    const xs = binding.inputs.map((input) => {
      const raw = readBatchTensor(batch, input.key, ctx);
      return fitInputShape(raw, input.shape, input.key, ctx);
    });
    // `step` reaches seeded layers (dropout) as a keyword argument
    const kwargs = { training: options.training ?? false, ...(options.step === undefined ? {} : { step: options.step }) };
    const ys = net.apply(xs.length === 1 ? (xs[0] as tf.Tensor) : xs, kwargs) as tf.Tensor | tf.Tensor[];
    const list = Array.isArray(ys) ? ys : [ys];
    const out: Record<string, tf.Tensor> = {};
    binding.outputs.forEach((key, i) => {
      out[key] = list[i] as tf.Tensor;
    });
    return out;
  };
  return {
    net,
    binding,
    forward,
    async predict(batch, ctx = {}) {
      const values: Record<string, Tensor> = {};
      await withGpuErrorScope(`predict (${ctx.phase ?? 'inference'})`, async () => {
        const outs = tf.tidy(() => forward(batch, { ...ctx, training: false }));
        try {
          for (const [key, t] of Object.entries(outs)) {
            values[key] = makeTensor('float32', t.shape, (await t.data()) as Float32Array);
          }
        } finally {
          tf.dispose(Object.values(outs));
        }
      });
      return setKeys(batch, values);
    },
    trainableVariables() {
      // tfjs-layers keeps each weight's tf.Variable in LayerVariable.val (not in its public typings, stable across 4.x)
      return net.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
    },
  };
}
