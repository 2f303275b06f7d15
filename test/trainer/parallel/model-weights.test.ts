import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchNorm } from '../../../src/trainer/models/batch-norm.js';
import { dictModel, type DictModel } from '../../../src/trainer/models/dict-model.js';
import { sharedModelWeights } from '../../../src/trainer/parallel/model-weights.js';
import { weightLayout } from '../../../src/trainer/parallel/weight-layout.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** dense(3) → batch norm: trainable kernel, bias, gamma, beta; state moving mean and variance. */
function model(): DictModel {
  const input = tf.input({ shape: [2] });
  const dense = tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(input) as tf.SymbolicTensor;
  const out = batchNorm({ name: 'bn' }).apply(dense) as tf.SymbolicTensor;
  return dictModel(tf.model({ inputs: input, outputs: out }), { inputs: [{ key: 'data.x', shape: [2] }], outputs: ['model.y'] });
}

const valuesOf = (m: DictModel): number[][] => m.net.weights.map((w) => Array.from(w.read().dataSync()));

describe('sharedModelWeights (the main thread’s model against the pool’s shared weights)', () => {
  it('toShared writes every weight at its layout offset; fromShared sets trainable and state weights back from them', () => {
    const m = model();
    const layout = weightLayout(m);
    const shared = new Float32Array(layout.weightFloats);
    const sync = sharedModelWeights(m, layout, shared);
    sync.toShared();
    const before = valuesOf(m);
    before.forEach((v, i) => expect(Array.from(shared.subarray(layout.weights[i]?.offset ?? -1, (layout.weights[i]?.offset ?? 0) + v.length))).toEqual(v));
    // new shared values: weight i's element j = i + j / 8 (exact in float32)
    m.net.weights.forEach((w, i) => {
      const at = layout.weights[i];
      if (at !== undefined) for (let j = 0; j < at.size; j++) shared[at.offset + j] = i + j / 8;
    });
    const tensorsBefore = tf.memory().numTensors;
    sync.fromShared();
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    valuesOf(m).forEach((v, i) => expect(v).toEqual(v.map((_, j) => i + j / 8)));
    expect(layout.weights.filter((w) => !w.trainable)).toHaveLength(2);
  });

  it('fromSum: the state part into the state weights, the gradient part as one new tensor per trainable variable', () => {
    const m = model();
    const layout = weightLayout(m);
    const sync = sharedModelWeights(m, layout, new Float32Array(layout.weightFloats));
    const sum = Float32Array.from({ length: layout.regionFloats }, (_, k) => k / 4);
    const grads = sync.fromSum(sum);
    const variables = m.trainableVariables();
    expect(grads.map((g) => g.shape)).toEqual(variables.map((v) => v.shape));
    grads.forEach((g, i) => {
      const at = layout.grads[i];
      expect(Array.from(g.dataSync())).toEqual(Array.from(sum.subarray(at?.offset ?? -1, (at?.offset ?? 0) + (at?.size ?? 0))));
    });
    // moving mean then moving variance, 3 each, right after the gradients
    const state = m.net.weights.filter((_, i) => layout.weights[i]?.trainable === false).map((w) => Array.from(w.read().dataSync()));
    const at = (k: number): number => (layout.gradFloats + k) / 4;
    expect(state).toEqual([
      [at(0), at(1), at(2)],
      [at(3), at(4), at(5)],
    ]);
    tf.dispose(grads);
  });
});
