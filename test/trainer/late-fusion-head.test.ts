import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { OptionsError } from '../../src/core/errors.js';
import { getKey } from '../../src/core/sample.js';
import { tensor, type Tensor } from '../../src/core/tensor.js';
import { loadModel, saveCheckpoint } from '../../src/trainer/checkpoint.js';
import { lateFusionHead } from '../../src/trainer/heads/late-fusion-head.js';
import { multiHeadModel } from '../../src/trainer/models/multi-head-model.js';
import { resnet } from '../../src/trainer/models/resnet.js';
import { tempFolder } from '../temp-folder.js';

const { dir } = tempFolder('ff-late-fusion-');
beforeAll(async () => {
  await tf.setBackend('cpu');
});

const volume = (n: number, phase: number): Tensor =>
  tensor(
    'float32',
    [n, 4, 4, 4],
    Float32Array.from({ length: n * 64 }, (_, i) => Math.sin(i * 0.37 + phase)),
  );
const clinical = (n: number, phase: number): Tensor =>
  tensor(
    'float32',
    [n, 5],
    Float32Array.from({ length: n * 5 }, (_, i) => Math.cos(i * 0.7 + phase)),
  );
const build = () =>
  multiHeadModel({
    inputs: [{ key: 'data.img', shape: [4, 4, 4, 1] }],
    backbone: resnet({ dims: 3, filters: [4] }),
    heads: [lateFusionHead({ name: 'risk', numClasses: 3, tabular: [{ key: 'data.clinical', shape: [5] }], imageLayers: [6] })],
    seed: 2,
  });
const values = (t: unknown): number[] => Array.from((t as Tensor).data as Float32Array);

describe('lateFusionHead', () => {
  it('writes both classifiers’ logits and scores, and the fused score is their mean', async () => {
    const model = build();
    const out = await model.predict({ data: { sampleId: ['a', 'b'], img: volume(2, 0), clinical: clinical(2, 0) } });
    for (const key of ['model.logits.risk_image', 'model.logits.risk_tabular', 'model.output.risk_image', 'model.output.risk_tabular', 'model.output.risk'])
      expect(getKey<Tensor>(out, key).shape).toEqual([2, 3]);
    const image = values(getKey(out, 'model.output.risk_image'));
    const tab = values(getKey(out, 'model.output.risk_tabular'));
    values(getKey(out, 'model.output.risk')).forEach((v, i) => expect(v).toBeCloseTo(((image[i] as number) + (tab[i] as number)) / 2, 6));
    // softmax of the logits, by hand
    const logits = values(getKey(out, 'model.logits.risk_tabular')).slice(0, 3);
    const e = logits.map((x) => Math.exp(x));
    e.forEach((x, j) => expect(tab[j]).toBeCloseTo(x / (e[0]! + e[1]! + e[2]!), 6));
    model.net.dispose();
  });

  it('the tabular classifier reads only the tabular inputs, the image classifier only the image', async () => {
    const model = build();
    const a = await model.predict({ data: { img: volume(2, 0), clinical: clinical(2, 0) } });
    const newImage = await model.predict({ data: { img: volume(2, 1.3), clinical: clinical(2, 0) } });
    const newClinical = await model.predict({ data: { img: volume(2, 0), clinical: clinical(2, 2.1) } });
    expect(values(getKey(newImage, 'model.output.risk_tabular'))).toEqual(values(getKey(a, 'model.output.risk_tabular')));
    expect(values(getKey(newImage, 'model.output.risk_image'))).not.toEqual(values(getKey(a, 'model.output.risk_image')));
    expect(values(getKey(newClinical, 'model.output.risk_image'))).toEqual(values(getKey(a, 'model.output.risk_image')));
    expect(values(getKey(newClinical, 'model.output.risk_tabular'))).not.toEqual(values(getKey(a, 'model.output.risk_tabular')));
    model.net.dispose();
  });

  it('rebuilds from a checkpoint with the same outputs', async () => {
    const model = build();
    const path = join(dir, 'late.ckpt');
    await saveCheckpoint(path, { model, trainState: {} });
    const loaded = await loadModel(path);
    const batch = { data: { img: volume(3, 0.5), clinical: clinical(3, 0.5) } };
    expect(values(getKey(await loaded.predict(batch), 'model.output.risk'))).toEqual(values(getKey(await model.predict(batch), 'model.output.risk')));
    model.net.dispose();
    loaded.net.dispose();
  });

  it('refuses bad options', () => {
    expect(() => lateFusionHead({ tabular: [] })).toThrow(OptionsError);
    expect(() => lateFusionHead({ tabular: [{ key: 'x', shape: [2] }], numClasses: 1 })).toThrow(/numClasses/);
    expect(() => lateFusionHead({ tabular: [{ key: 'x', shape: [2] }], tabularLayers: [0] })).toThrow(/tabularLayers must be positive integers/);
  });
});
