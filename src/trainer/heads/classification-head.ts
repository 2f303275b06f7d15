/**
 * A classification head (FuseMedML's HeadGlobalPoolingClassifier / Head1D / Head3D): global
 * pooling of the backbone features, optional tabular features appended, hidden dense layers,
 * then class logits and softmax scores.
 *
 * Writes `model.logits.<name>` (`[batch, numClasses]`) and `model.output.<name>` (softmax).
 */
import * as tf from '@tensorflow/tfjs';
import { OptionsError } from '../../core/errors.js';
import type { Head, ModelInput } from '../models/backbone.js';
import { seededDropout } from '../models/seeded-dropout.js';
import { globalPool, type Pooling } from './global-pool.js';

/** Options of {@link classificationHead}. */
export interface ClassificationHeadOptions {
  /** Head name; outputs go to `model.logits.<name>` and `model.output.<name>`. Default `'head_0'`. */
  readonly name?: string;
  /** Number of classes (≥ 2). Default 2. */
  readonly numClasses?: number;
  /** Pooling of feature maps. Default `'avg'`. */
  readonly pooling?: Pooling;
  /** Hidden dense layers after pooling. Default `[]`. */
  readonly layers?: readonly number[];
  /** Dropout rate after pooling (and appended features) and after each hidden layer, reproducible per step (FuseMedML's default is 0.1). Default 0. */
  readonly dropout?: number;
  /** Tabular inputs appended after pooling (keys and per-sample shapes, e.g. `[{ key: 'data.clinical', shape: [5] }]`). Default none. */
  readonly tabular?: readonly ModelInput[];
}

/**
 * A classification head.
 * @example classificationHead({ name: 'malignant', numClasses: 2, tabular: [{ key: 'data.age', shape: [1] }] })
 * @throws {OptionsError} for fewer than 2 classes or bad layer sizes.
 */
export function classificationHead(options: ClassificationHeadOptions = {}): Head {
  const name = options.name ?? 'head_0';
  const numClasses = options.numClasses ?? 2;
  const layers = options.layers ?? [];
  const pooling = options.pooling ?? 'avg';
  const dropout = options.dropout ?? 0;
  if (!(dropout >= 0 && dropout < 1)) throw new OptionsError(`classificationHead '${name}': dropout must be in [0, 1), got ${dropout}`);
  if (!Number.isInteger(numClasses) || numClasses < 2) throw new OptionsError(`classificationHead '${name}': numClasses must be an integer ≥ 2, got ${numClasses}`);
  if (!layers.every((u) => Number.isInteger(u) && u > 0)) throw new OptionsError(`classificationHead '${name}': layers must be positive integers`);
  return {
    name,
    extraInputs: options.tabular ?? [],
    build(features, extra, ctx) {
      let x = globalPool(features, pooling, ctx, name);
      if (extra.length > 0) {
        const flat = extra.map((t) => (t.shape.length > 2 ? (tf.layers.flatten({ name: ctx.name(`${name}_tabflat`) }).apply(t) as tf.SymbolicTensor) : t));
        x = tf.layers.concatenate({ name: ctx.name(`${name}_concat`) }).apply([x, ...flat]) as tf.SymbolicTensor;
      }
      const drop = (t: tf.SymbolicTensor): tf.SymbolicTensor =>
        dropout > 0 ? (seededDropout({ rate: dropout, seed: ctx.nextSeed(), name: ctx.name(`${name}_dropout`) }).apply(t) as tf.SymbolicTensor) : t;
      x = drop(x);
      for (const units of layers) {
        x = drop(tf.layers.dense({ units, activation: 'relu', kernelInitializer: ctx.heNormal(), name: ctx.name(`${name}_hidden`) }).apply(x) as tf.SymbolicTensor);
      }
      const logits = tf.layers.dense({ units: numClasses, kernelInitializer: ctx.glorotUniform(), name: ctx.name(`${name}_logits`) }).apply(x) as tf.SymbolicTensor;
      const scores = tf.layers.softmax({ name: ctx.name(`${name}_softmax`) }).apply(logits) as tf.SymbolicTensor;
      return { [`model.logits.${name}`]: logits, [`model.output.${name}`]: scores };
    },
  };
}
