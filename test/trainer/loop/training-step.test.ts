import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { MissingKeyError } from '../../../src/core/errors.js';
import { deleteKey, getKey, setKey, type Sample } from '../../../src/core/sample.js';
import { trainingStep } from '../../../src/trainer/loop/training-step.js';
import { crossEntropy } from '../../../src/trainer/losses/cross-entropy.js';
import { createOptimizer } from '../../../src/trainer/optim/optimizer.js';
import { TrainingError } from '../../../src/trainer/training-error.js';
import { tabularModel, validationBatches } from '../helpers/tabular.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const ce = crossEntropy({ pred: 'model.logits.cls', target: 'data.label' });

async function batches(n: number, size: number): Promise<Sample[]> {
  const out: Sample[] = [];
  for await (const b of validationBatches(0, n, size)()) out.push(b);
  return out;
}

function setup(seed: number, options: { readonly clipNorm?: number; readonly lr?: number } = {}) {
  const model = tabularModel(seed);
  const variables = model.trainableVariables();
  const optimizer = createOptimizer({ type: 'sgd' }, variables);
  const step = trainingStep({
    model,
    losses: [ce],
    variables,
    optimizer,
    lastPath: '/nonexistent/last.ckpt',
    ...(options.clipNorm === undefined ? {} : { clipNorm: options.clipNorm }),
  });
  const weights = (): Float32Array[] => variables.map((v) => Float32Array.from(v.dataSync()));
  return { model, optimizer, step, weights };
}

/** Mean cross-entropy of the batch in float64 from the model's logits (hand reference). */
function handLoss(model: ReturnType<typeof tabularModel>, b: Sample): number {
  const logits = tf.tidy(() => model.forward(b, { training: false })['model.logits.cls']!.arraySync() as number[][]);
  const labels = getKey<{ readonly data: ArrayLike<number> }>(b, 'data.label').data;
  let sum = 0;
  logits.forEach((row, i) => {
    const m = Math.max(...row);
    sum += m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0)) - row[Number(labels[i])]!;
  });
  return sum / logits.length;
}

describe('trainingStep', () => {
  it('returns the batch loss (hand reference), updates the weights, and keeps the tensor count flat over steps', async () => {
    const { model, optimizer, step, weights } = setup(3);
    const bs = await batches(64, 16);
    const expected = handLoss(model, bs[0]!);
    const w0 = weights();
    const first = await step(bs[0]!, 16, { epoch: 0, step: 0 }, 0.1);
    expect(Object.keys(first)).toEqual(['total', 'crossEntropy']);
    expect(first['total']).toBeCloseTo(expected, 5);
    expect(first['crossEntropy']).toBe(first['total']);
    expect(weights()).not.toEqual(w0);
    const counts: number[] = [];
    for (let i = 1; i < bs.length; i++) {
      await step(bs[i]!, 16, { epoch: 0, step: i }, 0.1);
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts).size).toBe(1);
    optimizer.dispose();
  });

  it('clips the gradients to the global norm: a plain SGD update of lr × clipNorm in L2 norm', async () => {
    const { optimizer, step, weights } = setup(4, { clipNorm: 1e-3 });
    const [b] = await batches(16, 16);
    const w0 = weights();
    await step(b!, 16, { epoch: 0, step: 0 }, 0.5);
    const w1 = weights();
    let sq = 0;
    w0.forEach((w, i) => w.forEach((v, j) => (sq += (w1[i]![j]! - v) ** 2)));
    expect(Math.sqrt(sq)).toBeCloseTo(0.5 * 1e-3, 6);
    optimizer.dispose();
  });

  it('a non-finite loss stops before any update, naming epoch, step, the batch ids and the checkpoint state; no tensor leaks', async () => {
    const { optimizer, step, weights } = setup(5);
    const [b] = await batches(16, 16);
    const bad = setKey(b!, 'data.features', { dtype: 'float32', shape: [16, 30], data: new Float32Array(16 * 30).fill(Number.NaN) });
    const w0 = weights();
    const before = tf.memory().numTensors;
    const err = await step(bad, 16, { epoch: 2, step: 7 }, 0.1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingError);
    expect((err as Error).message).toBe(
      'epoch 2, step 7: loss is NaN (crossEntropy=NaN); batch ids bc-0, bc-1, bc-2, bc-3, bc-4, bc-5, bc-6, bc-7, …; training stopped, no checkpoint had been written yet',
    );
    expect(weights()).toEqual(w0);
    expect(tf.memory().numTensors).toBe(before);
    optimizer.dispose();
  });

  // Known and kept as fit always did: a batch failing inside the forward pass leaves that pass's
  // intermediate tensors behind (tf.variableGrads does not release them when its function throws);
  // training stops there, so this is not asserted flat.
  it('a failing batch becomes a TrainingError naming the step, with the cause', async () => {
    const { optimizer, step } = setup(6);
    const [b] = await batches(16, 16);
    const err = await step(deleteKey(b!, 'data.label'), 16, { epoch: 0, step: 3 }, 0.1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingError);
    expect((err as Error).message).toMatch(/^epoch 0, step 3: missing key 'data\.label'/);
    expect((err as TrainingError).cause).toBeInstanceOf(MissingKeyError);
    optimizer.dispose();
  });
});
