/**
 * A regression head (FuseMedML's Head1D in regression mode): global pooling, optional tabular
 * features appended, hidden dense layers, then `numOutputs` linear outputs.
 *
 * Writes `model.output.<name>` (`[batch, numOutputs]`).
 */
import * as tf from '@tensorflow/tfjs';
import { OptionsError } from '../../core/errors.js';
import type { Head, ModelInput } from '../models/backbone.js';
import { seededDropout } from '../models/seeded-dropout.js';
import { globalPool, type Pooling } from './global-pool.js';

/** Options of {@link regressionHead}. */
export interface RegressionHeadOptions {
  /** Head name. Default `'head_0'`. */
  readonly name?: string;
  /** Number of outputs. Default 1. */
  readonly numOutputs?: number;
  /** Pooling of feature maps. Default `'avg'`. */
  readonly pooling?: Pooling;
  /** Hidden dense layers. Default `[]`. */
  readonly layers?: readonly number[];
  /** Dropout rate after pooling (and appended features) and after each hidden layer, reproducible per step (FuseMedML's default is 0.1). Default 0. */
  readonly dropout?: number;
  /** Tabular inputs appended after pooling. Default none. */
  readonly tabular?: readonly ModelInput[];
}

/**
 * A regression head.
 * @example regressionHead({ name: 'age', numOutputs: 1, layers: [16] })
 * @throws {OptionsError} for a bad output count or layer sizes.
 */
export function regressionHead(options: RegressionHeadOptions = {}): Head {
  const name = options.name ?? 'head_0';
  const numOutputs = options.numOutputs ?? 1;
  const layers = options.layers ?? [];
  const pooling = options.pooling ?? 'avg';
  const dropout = options.dropout ?? 0;
  if (!(dropout >= 0 && dropout < 1)) throw new OptionsError(`regressionHead '${name}': dropout must be in [0, 1), got ${dropout}`);
  if (!Number.isInteger(numOutputs) || numOutputs < 1) throw new OptionsError(`regressionHead '${name}': numOutputs must be a positive integer, got ${numOutputs}`);
  if (!layers.every((u) => Number.isInteger(u) && u > 0)) throw new OptionsError(`regressionHead '${name}': layers must be positive integers`);
  return {
    name,
    extraInputs: options.tabular ?? [],
    build(features, extra, ctx) {
      let x = globalPool(features, pooling, ctx, name);
      if (extra.length > 0) x = tf.layers.concatenate({ name: ctx.name(`${name}_concat`) }).apply([x, ...extra]) as tf.SymbolicTensor;
      const drop = (t: tf.SymbolicTensor): tf.SymbolicTensor =>
        dropout > 0 ? (seededDropout({ rate: dropout, seed: ctx.nextSeed(), name: ctx.name(`${name}_dropout`) }).apply(t) as tf.SymbolicTensor) : t;
      x = drop(x);
      for (const units of layers) {
        x = drop(tf.layers.dense({ units, activation: 'relu', kernelInitializer: ctx.heNormal(), name: ctx.name(`${name}_hidden`) }).apply(x) as tf.SymbolicTensor);
      }
      const out = tf.layers.dense({ units: numOutputs, kernelInitializer: ctx.glorotUniform(), name: ctx.name(`${name}_out`) }).apply(x) as tf.SymbolicTensor;
      return { [`model.output.${name}`]: out };
    },
  };
}
