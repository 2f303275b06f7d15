import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Sample } from '../../../src/core/sample.js';
import { loadModel } from '../../../src/trainer/checkpoint.js';
import { fit } from '../../../src/trainer/fit.js';
import { crossEntropy } from '../../../src/trainer/losses/cross-entropy.js';
import { freeze } from '../../../src/trainer/models/trainable.js';
import { tempFolder } from '../../temp-folder.js';
import { tabularModel, trainBatches, validationBatches } from '../helpers/tabular.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const { dir: root } = tempFolder('ff-trainable-');
let runs = 0;
const ce = crossEntropy({ pred: 'model.logits.cls', target: 'data.label' });

/** Trains the batch-norm MLP one epoch (optionally with its batch norm frozen); each weight's values before and after, by name. */
async function train(
  frozen: boolean,
  threads: number,
): Promise<{ before: Map<string, Float32Array>; after: Map<string, Float32Array>; dir: string; model: ReturnType<typeof tabularModel> }> {
  const model = tabularModel(3, true);
  if (frozen) expect(freeze(model, ['mlp_bn_*'])).toEqual(['mlp_bn_1']);
  const snap = (): Map<string, Float32Array> => new Map(model.net.weights.map((w) => [w.originalName, Float32Array.from(w.read().dataSync() as Float32Array)]));
  const before = snap();
  const dir = join(root, `run-${runs++}`);
  await fit({ model, losses: [ce], train: trainBatches(64, 16), epochs: 1, dir, progress: false, backend: 'current', threads });
  return { before, after: snap(), dir, model };
}

describe('frozen batch norm', () => {
  it.each([1, 2])('keeps gamma, beta and the moving statistics bit-unchanged (Keras semantics), threads %i; the dense layers train', async (threads) => {
    const { before, after } = await train(true, threads);
    const bn = [...before.keys()].filter((k) => k.startsWith('mlp_bn_1/'));
    expect(bn).toHaveLength(4);
    for (const k of bn) expect(after.get(k)).toEqual(before.get(k));
    expect(after.get('mlp_dense_1/kernel')).not.toEqual(before.get('mlp_dense_1/kernel'));
  });

  it('the checkpoint keeps the frozen flag: the rebuilt model has the same weights in the same order and predicts the same', async () => {
    const { dir, model } = await train(true, 1);
    const back = await loadModel(join(dir, 'last.ckpt'));
    expect(back.net.weights.map((w) => w.originalName)).toEqual(model.net.weights.map((w) => w.originalName));
    expect(back.trainableVariables()).toHaveLength(model.trainableVariables().length);
    let found: Sample | undefined;
    for await (const b of validationBatches(100, 116, 16)()) found = b;
    const batch = found as Sample;
    const p1 = tf.tidy(() => model.forward(batch, {})['model.logits.cls']!.dataSync());
    const p2 = tf.tidy(() => back.forward(batch, {})['model.logits.cls']!.dataSync());
    expect(p2).toEqual(p1);
  });

  it('a trainable batch norm updates its moving statistics (the control)', async () => {
    const { before, after } = await train(false, 1);
    const moving = [...before.keys()].filter((k) => k.startsWith('mlp_bn_1/') && k.includes('moving'));
    expect(moving.length).toBe(2);
    for (const k of moving) expect(after.get(k)).not.toEqual(before.get(k));
  });
});
