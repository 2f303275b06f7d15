/**
 * A multi-head model (FuseMedML's ModelMultiHead): the input keys are concatenated on the
 * channel axis and fed to one backbone; each head reads the backbone features (and its own
 * extra inputs) and writes its outputs under `model.*`. Weight initialization is seeded.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionsError } from '../../core/errors.js';
import type { Backbone, Head, ModelInput } from './backbone.js';
import { buildContext } from './build-context.js';
import { dictModel, type DictModel } from './dict-model.js';

/** Options of {@link multiHeadModel}. */
export interface MultiHeadModelOptions {
  /** Input keys concatenated on the channel (last) axis for the backbone; equal leading shapes. Required, at least one. */
  readonly inputs: readonly ModelInput[];
  readonly backbone: Backbone;
  /** Heads, each with a distinct name. Required, at least one. */
  readonly heads: readonly Head[];
  /** Seed of the weight initializers. Default 0. */
  readonly seed?: number;
  /** Network name. Default `'fuseflow_model'`. */
  readonly name?: string;
}

/**
 * Builds a multi-head model.
 * @example
 * const model = multiHeadModel({
 *   inputs: [{ key: 'data.input.img', shape: [32, 32, 32, 1] }],
 *   backbone: resnet({ dims: 3, filters: [8, 16] }),
 *   heads: [classificationHead({ name: 'cls', numClasses: 2, tabular: [{ key: 'data.age', shape: [1] }] })],
 *   seed: 7,
 * });
 * @throws {OptionsError} for no inputs, no heads, duplicate head names or input keys, or inputs whose leading shapes differ.
 */
export function multiHeadModel(options: MultiHeadModelOptions): DictModel {
  const { inputs, backbone, heads } = options;
  if (inputs.length === 0) throw new OptionsError('multiHeadModel: at least one input is needed');
  if (heads.length === 0) throw new OptionsError('multiHeadModel: at least one head is needed');
  const headNames = heads.map((h) => h.name);
  if (new Set(headNames).size !== headNames.length) throw new OptionsError(`multiHeadModel: head names must differ, got ${headNames.join(', ')}`);
  const lead = inputs[0]?.shape.slice(0, -1).join(',');
  if (inputs.length > 1 && !inputs.every((i) => i.shape.slice(0, -1).join(',') === lead)) {
    throw new OptionsError(`multiHeadModel: inputs concatenated on channels need equal leading shapes, got ${inputs.map((i) => `[${i.shape.join(',')}]`).join(' ')}`);
  }
  const allInputs = [...inputs, ...heads.flatMap((h) => h.extraInputs)];
  const keys = allInputs.map((i) => i.key);
  if (new Set(keys).size !== keys.length) throw new OptionsError(`multiHeadModel: input keys must differ, got ${keys.join(', ')}`);
  for (const i of allInputs) {
    if (i.shape.length === 0 || !i.shape.every((d) => Number.isInteger(d) && d > 0)) {
      throw new OptionsError(`multiHeadModel: input '${i.key}' needs a per-sample shape of positive integers, got [${i.shape.join(',')}]`);
    }
  }

  const ctx = buildContext(options.seed ?? 0);
  const symbolic = allInputs.map((i) => tf.input({ shape: [...i.shape], name: ctx.name('input') }));
  const conv = symbolic.slice(0, inputs.length);
  const joined = conv.length === 1 ? (conv[0] as tf.SymbolicTensor) : (tf.layers.concatenate({ axis: -1, name: ctx.name('inputs_concat') }).apply(conv) as tf.SymbolicTensor);
  const features = backbone.build(joined, ctx);
  const outputKeys: string[] = [];
  const outputs: tf.SymbolicTensor[] = [];
  let next = inputs.length;
  for (const head of heads) {
    const extra = symbolic.slice(next, next + head.extraInputs.length);
    next += head.extraInputs.length;
    for (const [key, t] of Object.entries(head.build(features, extra, ctx))) {
      outputKeys.push(key);
      outputs.push(t);
    }
  }
  const net = tf.model({ inputs: symbolic, outputs, name: options.name ?? 'fuseflow_model' });
  return dictModel(net, { inputs: allInputs, outputs: outputKeys });
}
