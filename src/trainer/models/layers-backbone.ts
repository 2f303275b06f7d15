/**
 * A loaded TensorFlow.js Layers model (a Keras network converted with `tensorflowjs_converter`,
 * or one saved by `model.save`) as the backbone of a fuseflow model: the network, or its part up
 * to a named layer, is applied to the model's input as one nested layer, so its weights (the
 * pretrained ones) are the fuseflow model's, checkpoints keep its topology and weights, and its
 * layers can be frozen or given their own learning rate by name (`freeze`, `paramGroups`).
 */
import * as tf from '@tensorflow/tfjs';
import { OptionsError } from '../../core/errors.js';
import type { Backbone } from './backbone.js';

/** Options of {@link layersBackbone}. */
export interface LayersBackboneOptions {
  /** The loaded network (`loadLayersModel`), one input. Required. Used once: a second model needs a second load. */
  readonly model: tf.LayersModel;
  /** The layer whose output are the features (e.g. the last pooling layer of a classifier). Default: the network's output. */
  readonly outputLayer?: string;
}

/**
 * A backbone made of a loaded Layers model.
 * @example
 * const keras = await loadLayersModel('models/keras-backbone');
 * const model = multiHeadModel({ inputs: [{ key: 'data.x', shape: [30] }], backbone: layersBackbone({ model: keras, outputLayer: 'features' }), heads: [classificationHead({ name: 'cls', numClasses: 2 })] });
 * freeze(model, [keras.name]);
 * @throws {OptionsError} (when the model is built) for a network with several inputs or outputs, an
 *   unknown `outputLayer`, or an input shape other than the model's.
 */
export function layersBackbone(options: LayersBackboneOptions): Backbone {
  const net = options.model;
  return {
    kind: 'layers-model',
    build(input) {
      if (net.inputs.length !== 1) throw new OptionsError(`layersBackbone: '${net.name}' has ${net.inputs.length} inputs; a backbone takes one`);
      const want = (net.inputs[0] as tf.SymbolicTensor).shape.slice(1);
      const have = input.shape.slice(1);
      if (want.length !== have.length || want.some((d, i) => d !== null && d !== have[i])) {
        throw new OptionsError(`layersBackbone: '${net.name}' takes inputs of shape [${want.join(',')}] (per sample), the model gives [${have.join(',')}]`);
      }
      let body = net;
      if (options.outputLayer !== undefined) {
        let layer;
        try {
          layer = net.getLayer(options.outputLayer);
        } catch {
          throw new OptionsError(`layersBackbone: '${net.name}' has no layer '${options.outputLayer}' (layers: ${net.layers.map((l) => l.name).join(', ')})`);
        }
        body = tf.model({ inputs: net.inputs, outputs: layer.output, name: net.name });
      } else if (net.outputs.length !== 1) {
        throw new OptionsError(`layersBackbone: '${net.name}' has ${net.outputs.length} outputs; name the feature layer with outputLayer`);
      }
      return body.apply(input) as tf.SymbolicTensor;
    },
  };
}
