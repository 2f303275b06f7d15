/**
 * The backbone and head contracts. A backbone maps the (channel-concatenated) model input to a
 * feature tensor; a head maps the features (plus optional extra inputs such as tabular
 * features) to named outputs. Both are described by plain options, so a network rebuilds from
 * its checkpointed topology.
 */
import type * as tf from '@tensorflow/tfjs';
import type { BuildContext } from './build-context.js';

/** A batch key that feeds the network, with its per-sample shape (channels last). */
export interface ModelInput {
  /** Batch key to read, e.g. `'data.input.img'`. */
  readonly key: string;
  /** Per-sample shape without the batch axis, channels last, e.g. `[32, 32, 32, 1]` or `[30]`. */
  readonly shape: readonly number[];
}

/** A feature extractor. */
export interface Backbone {
  readonly kind: string;
  build(input: tf.SymbolicTensor, ctx: BuildContext): tf.SymbolicTensor;
}

/** A head: writes its outputs at batch keys (`model.logits.<name>`, `model.output.<name>`). */
export interface Head {
  readonly name: string;
  /** Extra network inputs the head reads (e.g. tabular features appended after pooling). */
  readonly extraInputs: readonly ModelInput[];
  /** Output tensors by batch key. */
  build(features: tf.SymbolicTensor, extra: readonly tf.SymbolicTensor[], ctx: BuildContext): Readonly<Record<string, tf.SymbolicTensor>>;
}
