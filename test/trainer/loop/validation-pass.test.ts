import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { MissingKeyError } from '../../../src/core/errors.js';
import { deleteKey, getKey, type Sample } from '../../../src/core/sample.js';
import { accuracy } from '../../../src/eval/metrics/accuracy.js';
import { crossEntropy } from '../../../src/trainer/losses/cross-entropy.js';
import { validationPass } from '../../../src/trainer/loop/validation-pass.js';
import { tabularModel, validationBatches } from '../helpers/tabular.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const ce = crossEntropy({ pred: 'model.logits.cls', target: 'data.label' });

async function collect(src: AsyncIterable<Sample>): Promise<Sample[]> {
  const out: Sample[] = [];
  for await (const b of src) out.push(b);
  return out;
}

/** Hand reference in float64: per batch the mean of −log softmax(logits)[label], and argmax hits. */
function reference(model: ReturnType<typeof tabularModel>, batches: readonly Sample[]): { meanLoss: number; accuracy: number } {
  let lossSum = 0;
  let hits = 0;
  let rows = 0;
  for (const b of batches) {
    const logits = tf.tidy(() => model.forward(b, { training: false })['model.logits.cls']!.arraySync() as number[][]);
    const labels = getKey<{ readonly data: ArrayLike<number> }>(b, 'data.label').data;
    let batchLoss = 0;
    logits.forEach((row, i) => {
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
      const y = Number(labels[i]);
      batchLoss += lse - row[y]!;
      const argmax = row[1]! > row[0]! ? 1 : 0;
      hits += argmax === y ? 1 : 0;
    });
    lossSum += batchLoss / logits.length;
    rows += logits.length;
  }
  return { meanLoss: lossSum / batches.length, accuracy: hits / rows };
}

describe('validationPass', () => {
  it('averages the losses over batches and computes evaluator metrics from the model outputs (hand reference), tensor count flat', async () => {
    const model = tabularModel(7);
    const validation = validationBatches(400, 430, 8); // 30 rows: batches of 8, 8, 8, 6
    const batches = await collect(validation());
    expect(batches).toHaveLength(4);
    const ref = reference(model, batches);
    const before = tf.memory().numTensors;
    const v = await validationPass({
      model,
      losses: [ce],
      validation,
      metrics: [accuracy({ preds: ['model.output.cls_0', 'model.output.cls_1'], target: 'data.label' })],
      metricKeys: ['model.output.cls', 'data.label'],
      step: 3,
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(Object.keys(v.losses)).toEqual(['total', 'crossEntropy']);
    expect(v.losses['total']).toBeCloseTo(ref.meanLoss, 5);
    expect(v.losses['crossEntropy']).toBe(v.losses['total']);
    expect(v.metrics['accuracy']).toBe(ref.accuracy);
  });

  it('without metrics: losses only, one pass over the stream', async () => {
    const model = tabularModel(7);
    const validation = validationBatches(400, 430, 8);
    let calls = 0;
    const v = await validationPass({ model, losses: [ce], validation: () => (calls++, validation()), step: 0 });
    expect(calls).toBe(1);
    expect(v.metrics).toEqual({});
    expect(v.losses['total']).toBeCloseTo(reference(model, await collect(validation())).meanLoss, 5);
  });

  it('an empty stream gives no losses and no metrics', async () => {
    const v = await validationPass({ model: tabularModel(7), losses: [ce], validation: () => ({ async *[Symbol.asyncIterator]() {} }), step: 0 });
    expect(v).toEqual({ losses: {}, metrics: {} });
  });

  it('a batch without the target fails naming the key, and leaks no tensor', async () => {
    const model = tabularModel(7);
    const validation = validationBatches(400, 430, 8);
    const broken = (): AsyncIterable<Sample> => ({
      async *[Symbol.asyncIterator]() {
        let i = 0;
        for await (const b of validation()) yield i++ === 1 ? deleteKey(b, 'data.label') : b;
      },
    });
    const before = tf.memory().numTensors;
    await expect(validationPass({ model, losses: [ce], validation: broken, step: 0 })).rejects.toBeInstanceOf(MissingKeyError);
    expect(tf.memory().numTensors).toBe(before);
  });
});
