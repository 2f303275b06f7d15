/**
 * Late fusion of an image and tabular (clinical) data: two classifiers side by side — one on
 * the pooled backbone features, one on the tabular inputs alone — each with its own logits (so
 * each gets its own, weighted, loss), and the fused prediction the mean of their probabilities.
 * The counterpart of early fusion, where `classificationHead({ tabular })` appends the tabular
 * vector to the pooled features before one classifier (FuseMedML's Head3D `append_features`).
 *
 * Writes `model.logits.<name>_image`, `model.logits.<name>_tabular` (`[batch, numClasses]`),
 * their softmax scores `model.output.<name>_image`, `model.output.<name>_tabular`, and the fused
 * scores `model.output.<name>` (their mean).
 */
import * as tf from '@tensorflow/tfjs';
import { OptionsError } from '../../core/errors.js';
import type { Head, ModelInput } from '../models/backbone.js';
import type { BuildContext } from '../models/build-context.js';
import { globalPool, type Pooling } from './global-pool.js';

/** Options of {@link lateFusionHead}. */
export interface LateFusionHeadOptions {
  /** Head name: outputs go to `model.logits.<name>_image`, `…_tabular` and `model.output.<name>`. Default `'fusion'`. */
  readonly name?: string;
  /** Number of classes (≥ 2). Default 2. */
  readonly numClasses?: number;
  /** Tabular inputs of the second classifier (keys and per-sample shapes). Required, at least one. */
  readonly tabular: readonly ModelInput[];
  /** Pooling of the image feature map. Default `'avg'`. */
  readonly pooling?: Pooling;
  /** Hidden dense layers of the image classifier. Default `[]`. */
  readonly imageLayers?: readonly number[];
  /** Hidden dense layers of the tabular classifier. Default `[16]`. */
  readonly tabularLayers?: readonly number[];
}

function classifier(x: tf.SymbolicTensor, layers: readonly number[], numClasses: number, ctx: BuildContext, prefix: string): tf.SymbolicTensor {
  let h = x;
  for (const units of layers)
    h = tf.layers.dense({ units, activation: 'relu', kernelInitializer: ctx.heNormal(), name: ctx.name(`${prefix}_hidden`) }).apply(h) as tf.SymbolicTensor;
  return tf.layers.dense({ units: numClasses, kernelInitializer: ctx.glorotUniform(), name: ctx.name(`${prefix}_logits`) }).apply(h) as tf.SymbolicTensor;
}

/**
 * A late-fusion head.
 * @example
 * const head = lateFusionHead({ name: 'risk', tabular: [{ key: 'data.input.clinical.all', shape: [11] }] });
 * const losses = [
 *   crossEntropy({ pred: 'model.logits.risk_image', target: 'data.label', weight: 0.5 }),
 *   crossEntropy({ pred: 'model.logits.risk_tabular', target: 'data.label', weight: 0.5 }),
 * ];
 * // model.output.risk: the mean of the two classifiers' probabilities
 * @throws {OptionsError} for fewer than 2 classes, no tabular input or bad layer sizes.
 */
export function lateFusionHead(options: LateFusionHeadOptions): Head {
  const name = options.name ?? 'fusion';
  const numClasses = options.numClasses ?? 2;
  const imageLayers = options.imageLayers ?? [];
  const tabularLayers = options.tabularLayers ?? [16];
  if (!Number.isInteger(numClasses) || numClasses < 2) throw new OptionsError(`lateFusionHead '${name}': numClasses must be an integer ≥ 2, got ${numClasses}`);
  if (options.tabular === undefined || options.tabular.length === 0) throw new OptionsError(`lateFusionHead '${name}': at least one tabular input is needed`);
  for (const [field, layers] of [
    ['imageLayers', imageLayers],
    ['tabularLayers', tabularLayers],
  ] as const) {
    if (!layers.every((u) => Number.isInteger(u) && u > 0)) throw new OptionsError(`lateFusionHead '${name}': ${field} must be positive integers, got [${layers.join(', ')}]`);
  }
  return {
    name,
    extraInputs: options.tabular,
    build(features, extra, ctx) {
      const pooled = globalPool(features, options.pooling ?? 'avg', ctx, name);
      const flat = extra.map((t) => (t.shape.length > 2 ? (tf.layers.flatten({ name: ctx.name(`${name}_tabflat`) }).apply(t) as tf.SymbolicTensor) : t));
      const tabular = flat.length === 1 ? (flat[0] as tf.SymbolicTensor) : (tf.layers.concatenate({ name: ctx.name(`${name}_tabconcat`) }).apply(flat) as tf.SymbolicTensor);
      const imageLogits = classifier(pooled, imageLayers, numClasses, ctx, `${name}_image`);
      const tabularLogits = classifier(tabular, tabularLayers, numClasses, ctx, `${name}_tabular`);
      const imageScores = tf.layers.softmax({ name: ctx.name(`${name}_image_softmax`) }).apply(imageLogits) as tf.SymbolicTensor;
      const tabularScores = tf.layers.softmax({ name: ctx.name(`${name}_tabular_softmax`) }).apply(tabularLogits) as tf.SymbolicTensor;
      const fused = tf.layers.average({ name: ctx.name(`${name}_mean`) }).apply([imageScores, tabularScores]) as tf.SymbolicTensor;
      return {
        [`model.logits.${name}_image`]: imageLogits,
        [`model.logits.${name}_tabular`]: tabularLogits,
        [`model.output.${name}_image`]: imageScores,
        [`model.output.${name}_tabular`]: tabularScores,
        [`model.output.${name}`]: fused,
      };
    },
  };
}
