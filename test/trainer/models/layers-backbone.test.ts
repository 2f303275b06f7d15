import { readFileSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError, OptionsError } from '../../../src/core/errors.js';
import type { Sample } from '../../../src/core/sample.js';
import { OutputError } from '../../../src/core/safe-fs.js';
import { loadModel } from '../../../src/trainer/checkpoint.js';
import { fit, type FitOptions } from '../../../src/trainer/fit.js';
import { classificationHead } from '../../../src/trainer/heads/classification-head.js';
import { crossEntropy } from '../../../src/trainer/losses/cross-entropy.js';
import { layersBackbone } from '../../../src/trainer/models/layers-backbone.js';
import { loadLayersModel, saveLayersModelFiles } from '../../../src/trainer/models/layers-model-files.js';
import { multiHeadModel } from '../../../src/trainer/models/multi-head-model.js';
import { freeze, unfreeze } from '../../../src/trainer/models/trainable.js';
import { tempFolder } from '../../temp-folder.js';
import { trainBatches, validationBatches } from '../helpers/tabular.js';

const { dir: root } = tempFolder('ff-layers-backbone-');
const saved = join(root, 'keras-backbone');
let runs = 0;
const runDir = (): string => join(root, `run-${runs++}`);
const ce = crossEntropy({ pred: 'model.logits.cls', target: 'data.label' });

beforeAll(async () => {
  await tf.setBackend('cpu');
  // A Keras-style network (Keras's layer names), saved by the test itself as model.json + shard.
  const input = tf.input({ shape: [30], name: 'input_1' });
  const h1 = tf.layers.dense({ units: 12, activation: 'relu', name: 'block1_dense', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(input);
  const h2 = tf.layers.dense({ units: 8, activation: 'relu', name: 'block2_dense', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(h1);
  const out = tf.layers.dense({ units: 3, name: 'predictions', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(h2) as tf.SymbolicTensor;
  const keras = tf.model({ inputs: input, outputs: out, name: 'kbackbone' });
  await keras.save(saveLayersModelFiles(saved));
});

/** A fuseflow model on the saved network up to `block2_dense`, with a new classification head. */
async function backboneModel() {
  const loaded = await loadLayersModel(saved);
  return multiHeadModel({
    inputs: [{ key: 'data.features', shape: [30] }],
    backbone: layersBackbone({ model: loaded, outputLayer: 'block2_dense' }),
    heads: [classificationHead({ name: 'cls', numClasses: 2 })],
    seed: 4,
  });
}

/** Each weight's values by its name (the loaded network's names, e.g. `block1_dense/kernel`). */
function byName(model: Awaited<ReturnType<typeof backboneModel>>): Map<string, Float32Array> {
  return new Map(model.net.weights.map((w) => [w.originalName, Float32Array.from(w.read().dataSync() as Float32Array)]));
}

const base = (model: FitOptions['model']): FitOptions => ({
  model,
  losses: [ce],
  train: trainBatches(64, 16),
  epochs: 1,
  seed: 2,
  optimizer: { type: 'sgd' },
  schedule: { type: 'constant', lr: 0.1 },
  progress: false,
  backend: 'current',
  dir: runDir(),
});

describe('a saved TensorFlow.js Layers model as a backbone', () => {
  it('save writes model.json + weights.bin; load gives back the same weights bit for bit; a second save is refused', async () => {
    const json = JSON.parse(readFileSync(join(saved, 'model.json'), 'utf8')) as { format: string; weightsManifest: { paths: string[]; weights: { name: string }[] }[] };
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest[0]?.paths).toEqual(['weights.bin']);
    expect(json.weightsManifest[0]?.weights.map((w) => w.name)).toEqual([
      'block1_dense/kernel',
      'block1_dense/bias',
      'block2_dense/kernel',
      'block2_dense/bias',
      'predictions/kernel',
      'predictions/bias',
    ]);
    const bin = readFileSync(join(saved, 'weights.bin'));
    expect(bin.length).toBe(4 * (30 * 12 + 12 + 12 * 8 + 8 + 8 * 3 + 3));
    const a = await loadLayersModel(saved);
    const b = await loadLayersModel(join(saved, 'model.json'));
    const first = new Float32Array(bin.buffer, bin.byteOffset, 30 * 12);
    expect(Float32Array.from(a.getLayer('block1_dense').getWeights()[0]!.dataSync())).toEqual(Float32Array.from(first));
    a.weights.forEach((w, i) => expect(w.read().dataSync()).toEqual(b.weights[i]!.read().dataSync()));
    await expect(a.save(saveLayersModelFiles(saved))).rejects.toThrow(OutputError);
  });

  it('reads the converter layout: a Keras "Functional" topology with weights split over group1-shard1of2.bin and group1-shard2of2.bin', async () => {
    const json = JSON.parse(readFileSync(join(saved, 'model.json'), 'utf8')) as {
      modelTopology: { class_name: string; keras_version: string; backend: string };
      weightsManifest: { paths: string[] }[];
      generatedBy: string;
      convertedBy: string;
    };
    json.modelTopology.class_name = 'Functional';
    json.modelTopology.keras_version = '2.15.0';
    json.modelTopology.backend = 'tensorflow';
    json.generatedBy = 'keras v2.15.0';
    json.convertedBy = 'TensorFlow.js Converter v4.22.0';
    json.weightsManifest[0]!.paths = ['group1-shard1of2.bin', 'group1-shard2of2.bin'];
    const folder = join(root, 'converted');
    mkdirSync(folder);
    const bin = readFileSync(join(saved, 'weights.bin'));
    writeFileSync(join(folder, 'model.json'), JSON.stringify(json));
    writeFileSync(join(folder, 'group1-shard1of2.bin'), bin.subarray(0, 1000));
    writeFileSync(join(folder, 'group1-shard2of2.bin'), bin.subarray(1000));
    const a = await loadLayersModel(saved);
    const b = await loadLayersModel(folder);
    expect(b.layers.map((l) => l.name)).toEqual(a.layers.map((l) => l.name));
    b.weights.forEach((w, i) => expect(w.read().dataSync()).toEqual(a.weights[i]!.read().dataSync()));
  });

  it('freeze by prefix: frozen weights are bit-unchanged after training, the others change; the checkpoint keeps the flags', async () => {
    const model = await backboneModel();
    expect(freeze(model, ['block1_*'])).toEqual(['block1_dense']);
    expect(model.trainableVariables().length).toBe(4); // block2 kernel/bias, head kernel/bias
    const before = byName(model);
    const dir = runDir();
    await fit({ ...base(model), epochs: 2, dir });
    const after = byName(model);
    expect(after.get('block1_dense/kernel')).toEqual(before.get('block1_dense/kernel'));
    expect(after.get('block1_dense/bias')).toEqual(before.get('block1_dense/bias'));
    expect(after.get('block2_dense/kernel')).not.toEqual(before.get('block2_dense/kernel'));
    // The checkpoint rebuilds the nested network with its flags and weights: same predictions.
    const back = await loadModel(join(dir, 'last.ckpt'));
    expect(back.trainableVariables().length).toBe(4);
    let found: Sample | undefined;
    for await (const b of validationBatches(100, 116, 16)()) found = b;
    const batch = found as Sample;
    const p1 = tf.tidy(() => model.forward(batch, {})['model.logits.cls']!.dataSync());
    const p2 = tf.tidy(() => back.forward(batch, {})['model.logits.cls']!.dataSync());
    expect(p2).toEqual(p1);
    // Resuming with other frozen layers is refused, naming the model's layers.
    unfreeze(model, ['block1_dense']);
    await expect(fit({ ...base(model), epochs: 3, dir, resume: true })).rejects.toThrow(
      /^resume: model\.layers\.1\.config\.layers\.1\.config\.trainable differs: run was false, now true/,
    );
  });

  it('freeze the whole loaded network by its name, then unfreeze one layer inside it', async () => {
    const model = await backboneModel();
    expect(freeze(model, ['kbackbone'])).toEqual(['input_1', 'block1_dense', 'block2_dense']);
    expect(model.trainableVariables().length).toBe(2);
    expect(unfreeze(model, ['block2_dense'])).toEqual(['block2_dense']);
    expect(model.net.trainableWeights.map((w) => w.originalName)).toEqual([
      'block2_dense/kernel',
      'block2_dense/bias',
      expect.stringMatching(/kernel$/),
      expect.stringMatching(/bias$/),
    ]);
  });

  it('per-group learning rates: with plain SGD one step moves a group with lrScale 0.5 by half, lrScale 0 not at all, others alike', async () => {
    const one = (groups?: FitOptions['paramGroups']) => async () => {
      const model = await backboneModel();
      const w0 = byName(model);
      await fit({ ...base(model), train: trainBatches(16, 16), ...(groups === undefined ? {} : { paramGroups: groups }) });
      const w1 = byName(model);
      return new Map([...w1].map(([k, v]) => [k, v.map((x, i) => x - w0.get(k)![i]!)]));
    };
    const plain = await one()();
    const grouped = await one([
      { layers: ['block2_*'], lrScale: 0.5 },
      { layers: ['block1_dense'], lrScale: 0 },
    ])();
    for (const [k, d] of plain) {
      const g = grouped.get(k)!;
      if (k.startsWith('block2_')) d.forEach((x, i) => expect(g[i]).toBeCloseTo(x * 0.5, 6));
      else if (k.startsWith('block1_')) expect(g.every((x) => x === 0)).toBe(true);
      else expect(g).toEqual(d);
    }
    expect([...plain.get('block2_dense/kernel')!].some((x) => x !== 0)).toBe(true);
  });

  it('frozen layers stay bit-unchanged with data-parallel threads too', async () => {
    const model = await backboneModel();
    freeze(model, ['block1_dense']);
    const before = byName(model);
    await fit({ ...base(model), threads: 2 });
    const after = byName(model);
    expect(after.get('block1_dense/kernel')).toEqual(before.get('block1_dense/kernel'));
    expect(after.get('block2_dense/kernel')).not.toEqual(before.get('block2_dense/kernel'));
  });

  it('clear errors: unknown selector, everything frozen, a group on frozen layers, a wrong input shape, damaged files', async () => {
    const model = await backboneModel();
    expect(() => freeze(model, ['block9_*'])).toThrow(
      new OptionsError(`freeze: 'block9_*' matches no layer of 'fuseflow_model' (layers: input_1, kbackbone, block1_dense, block2_dense, cls_logits_1, cls_softmax_1)`),
    );
    freeze(model, ['*']);
    await expect(fit(base(model))).rejects.toThrow('fit: the model has no trainable weights (every layer is frozen); unfreeze some layers');
    unfreeze(model, ['cls_*']);
    await expect(fit({ ...base(model), paramGroups: [{ layers: ['block1_dense'], lrScale: 0.1 }] })).rejects.toThrow(
      'fit: paramGroups[0] (block1_dense) selects no trainable weight (are its layers frozen?)',
    );
    const loaded = await loadLayersModel(saved);
    expect(() =>
      multiHeadModel({ inputs: [{ key: 'x', shape: [10] }], backbone: layersBackbone({ model: loaded }), heads: [classificationHead({ name: 'c', numClasses: 2 })] }),
    ).toThrow("layersBackbone: 'kbackbone' takes inputs of shape [30] (per sample), the model gives [10]");
    // A truncated shard, and a manifest pointing outside the folder.
    const bad = join(root, 'bad');
    mkdirSync(bad);
    copyFileSync(join(saved, 'model.json'), join(bad, 'model.json'));
    writeFileSync(join(bad, 'weights.bin'), readFileSync(join(saved, 'weights.bin')).subarray(0, 100));
    await expect(loadLayersModel(bad)).rejects.toThrow(
      new InputError('weight shards weights.bin hold 100 bytes, the manifest declares 2012 (truncated or from another model)', { file: join(bad, 'model.json') }),
    );
    const json = JSON.parse(readFileSync(join(saved, 'model.json'), 'utf8')) as { weightsManifest: { paths: string[] }[] };
    json.weightsManifest[0]!.paths = ['../keras-backbone/weights.bin'];
    writeFileSync(join(bad, 'model.json'), JSON.stringify(json));
    await expect(loadLayersModel(bad)).rejects.toThrow(/weight shard path '\.\.\/keras-backbone\/weights\.bin' leaves the model's folder \(refused\)/);
    await expect(loadLayersModel(join(root, 'absent'))).rejects.toThrow(InputError);
  });
});
