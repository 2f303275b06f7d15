import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OptionsError, TypeMismatchError } from '../../src/core/errors.js';
import { getKey } from '../../src/core/sample.js';
import { tensor, type Tensor } from '../../src/core/tensor.js';
import { loadModel, saveCheckpoint } from '../../src/trainer/checkpoint.js';
import { classificationHead } from '../../src/trainer/heads/classification-head.js';
import { regressionHead } from '../../src/trainer/heads/regression-head.js';
import { segmentationHead } from '../../src/trainer/heads/segmentation-head.js';
import { mlp } from '../../src/trainer/models/mlp.js';
import { multiHeadModel } from '../../src/trainer/models/multi-head-model.js';
import { resnet } from '../../src/trainer/models/resnet.js';
import { unet3d } from '../../src/trainer/models/unet3d.js';
import { batchNorm } from '../../src/trainer/models/batch-norm.js';

const dir = mkdtempSync(join(tmpdir(), 'ff-models-'));
beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function volume(n: number, d: number): Tensor {
  const data = new Float32Array(n * d * d * d);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.37);
  return tensor('float32', [n, d, d, d], data);
}

describe('models on batch dicts', () => {
  it('3D ResNet multi-head: classification with tabular features + regression, outputs under model.*', async () => {
    const model = multiHeadModel({
      inputs: [{ key: 'data.img', shape: [8, 8, 8, 1] }],
      backbone: resnet({ dims: 3, filters: [4, 8] }),
      heads: [classificationHead({ name: 'cls', numClasses: 3, tabular: [{ key: 'data.age', shape: [1] }] }), regressionHead({ name: 'vol', numOutputs: 1 })],
      seed: 3,
    });
    const batch = { data: { sampleId: ['a', 'b'], img: volume(2, 8), age: [0.5, -1] } };
    const out = await model.predict(batch);
    expect(getKey<Tensor>(out, 'model.logits.cls').shape).toEqual([2, 3]);
    const scores = getKey<Tensor>(out, 'model.output.cls');
    expect(scores.data[0]! + scores.data[1]! + scores.data[2]!).toBeCloseTo(1, 5);
    expect(getKey<Tensor>(out, 'model.output.vol').shape).toEqual([2, 1]);
    expect(getKey(out, 'data.sampleId')).toEqual(['a', 'b']);
    expect(batch).not.toHaveProperty('model');
    // stride-2 stage: 8³ → 4³ feature maps
    expect(model.net.layers.some((l) => l.outputShape.toString() === ',4,4,4,8')).toBe(true);
  });

  it('the same seed gives the same initial weights; another seed does not', () => {
    const build = (seed: number) => multiHeadModel({ inputs: [{ key: 'data.x', shape: [6] }], backbone: mlp({ layers: [5] }), heads: [classificationHead()], seed });
    const w = (seed: number) =>
      build(seed)
        .net.getWeights()
        .map((t) => Array.from(t.dataSync()));
    expect(w(7)).toEqual(w(7));
    expect(w(7)).not.toEqual(w(8));
  });

  it('2D ResNet + dense segmentation head; 3D U-Net keeps full resolution', async () => {
    const seg2d = multiHeadModel({
      inputs: [{ key: 'data.img', shape: [8, 8, 1] }],
      backbone: resnet({ dims: 2, filters: [4] }),
      heads: [segmentationHead({ name: 's', numClasses: 3 })],
    });
    const img = tensor('float32', [2, 8, 8], new Float32Array(128).fill(0.5));
    expect(getKey<Tensor>(await seg2d.predict({ data: { img } }), 'model.output.s').shape).toEqual([2, 8, 8, 3]);
    const unet = multiHeadModel({
      inputs: [{ key: 'data.img', shape: [8, 8, 8, 1] }],
      backbone: unet3d({ baseFilters: 2, levels: 3 }),
      heads: [segmentationHead({ name: 'seg', numClasses: 2 })],
    });
    expect(getKey<Tensor>(await unet.predict({ data: { img: volume(1, 8) } }), 'model.logits.seg').shape).toEqual([1, 8, 8, 8, 2]);
  });

  it('checkpoint round trip rebuilds topology, binding and weights (batch-norm statistics included)', async () => {
    const model = multiHeadModel({
      inputs: [
        { key: 'data.img', shape: [8, 8, 8, 1] },
        { key: 'data.img2', shape: [8, 8, 8, 1] },
      ],
      backbone: resnet({ dims: 3, filters: [4, 8] }),
      heads: [classificationHead({ name: 'cls' })],
      seed: 5,
    });
    const batch = { data: { img: volume(2, 8), img2: volume(2, 8) } };
    tf.tidy(() => model.forward(batch, { training: true })); // moves batch-norm statistics
    const path = join(dir, 'm.ckpt');
    await saveCheckpoint(path, { model, trainState: { note: 'x' } });
    const back = await loadModel(path);
    expect(back.binding).toEqual(model.binding);
    const a = getKey<Tensor>(await model.predict(batch), 'model.logits.cls').data;
    const b = getKey<Tensor>(await back.predict(batch), 'model.logits.cls').data;
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  it('forward keeps the tensor count flat', async () => {
    const model = multiHeadModel({ inputs: [{ key: 'data.img', shape: [8, 8, 8, 1] }], backbone: resnet({ dims: 3, filters: [2] }), heads: [classificationHead()] });
    const batch = { data: { img: volume(1, 8) } };
    await model.predict(batch);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await model.predict(batch);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names the key and the shapes when the batch does not fit the model', () => {
    const model = multiHeadModel({ inputs: [{ key: 'data.img', shape: [8, 8, 8, 1] }], backbone: resnet({ dims: 3, filters: [2] }), heads: [classificationHead()] });
    expect(() => tf.tidy(() => model.forward({ data: { img: volume(1, 6) } }, { step: 4 }))).toThrow(TypeMismatchError);
    expect(() => tf.tidy(() => model.forward({ data: { img: volume(1, 6) } }, { step: 4 }))).toThrow(
      /key 'data\.img', step 4: the model takes per-sample shape \[8,8,8,1\] but the batch has \[1,6,6,6\]/,
    );
    expect(() => tf.tidy(() => model.forward({ data: { image: volume(1, 8) } }))).toThrow(/missing key 'data\.img'.*'data\.image'/);
  });

  it('rejects bad options when built', () => {
    expect(() => mlp({ layers: [] })).toThrow(OptionsError);
    expect(() => resnet({ dims: 4 as 3 })).toThrow(OptionsError);
    expect(() => classificationHead({ numClasses: 1 })).toThrow(OptionsError);
    expect(() => multiHeadModel({ inputs: [], backbone: mlp({ layers: [2] }), heads: [classificationHead()] })).toThrow(OptionsError);
    expect(() => multiHeadModel({ inputs: [{ key: 'a', shape: [2] }], backbone: mlp({ layers: [2] }), heads: [classificationHead(), classificationHead()] })).toThrow(/head names/);
    expect(() => multiHeadModel({ inputs: [{ key: 'a', shape: [6, 6, 6, 1] }], backbone: unet3d({ levels: 3 }), heads: [segmentationHead()] })).toThrow(/divisible by 4/);
  });
});

describe('batch norm (any rank)', () => {
  it('training gradients equal autodiff of the textbook formula (rank 2 and rank 5)', () => {
    for (const shape of [
      [6, 3],
      [2, 3, 2, 2, 3],
    ]) {
      const layer = batchNorm({ name: `bn_grad_${shape.length}` });
      layer.build(shape);
      const size = shape.reduce((a, b) => a * b, 1);
      const x = tf.tensor(
        Float32Array.from({ length: size }, (_, i) => Math.sin(i * 1.7) * 3 + (i % 3)),
        shape,
      );
      const g2 = tf.tensor1d([0.5, 1.5, -1]);
      const [, beta, mm, mv] = layer.getWeights();
      layer.setWeights([g2, tf.tensor1d([0.1, -0.2, 0.3]), mm!, mv!]);
      const w = tf.tensor(
        Float32Array.from({ length: size }, (_, i) => Math.cos(i)),
        shape,
      );
      const loss = (xi: tf.Tensor): tf.Scalar => tf.sum(tf.mul(layer.apply(xi, { training: true }) as tf.Tensor, w));
      const vars = layer.trainableWeights.map((v) => (v as unknown as { val: tf.Variable }).val);
      const ours = [
        tf.grad(loss)(x),
        ...(() => {
          const { grads, value } = tf.variableGrads(() => loss(x), vars);
          value.dispose();
          return vars.map((v) => grads[v.name]!);
        })(),
      ];
      const reference = tf.grads((xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const axes = shape.slice(0, -1).map((_, i) => i);
        const { mean, variance } = tf.moments(xi, axes);
        return tf.sum(tf.mul(tf.add(tf.mul(tf.div(tf.sub(xi, mean), tf.sqrt(tf.add(variance, 1e-3))), g), b), w));
      })([x, g2, tf.tensor1d([0.1, -0.2, 0.3])]);
      ours.forEach((t, i) => {
        const d = Array.from(t.dataSync());
        const e = Array.from(reference[i]!.dataSync());
        expect(d.length).toBe(e.length);
        d.forEach((v, j) => expect(v).toBeCloseTo(e[j]!, 4));
      });
      void beta;
    }
  });

  it('updates moving statistics in training and uses them in inference', () => {
    const layer = batchNorm({ name: 'bn_stats', momentum: 0.5 });
    layer.build([4, 1]);
    const x = tf.tensor2d([[1], [2], [3], [4]]);
    tf.tidy(() => layer.apply(x, { training: true }) as tf.Tensor);
    const [, , mean, variance] = layer.getWeights();
    expect(mean!.dataSync()[0]).toBeCloseTo(0.5 * 0 + 0.5 * 2.5, 6);
    expect(variance!.dataSync()[0]).toBeCloseTo(0.5 * 1 + 0.5 * (5 / 3), 6); // unbiased batch variance 5/3
    const y = tf.tidy(() => (layer.apply(tf.tensor2d([[1.25]]), { training: false }) as tf.Tensor).dataSync()[0]);
    expect(y).toBeCloseTo(0, 6);
  });
});

describe('seeded dropout', () => {
  const model = multiHeadModel({ inputs: [{ key: 'data.x', shape: [2000] }], backbone: mlp({ layers: [1] }), heads: [classificationHead({ dropout: 0.25 })], seed: 1 });
  const layer = model.net.layers.find((l) => l.getClassName() === 'FuseflowDropout')!;
  const ones = tf.ones([1, 2000]);
  const draw = (step: number | undefined, training = true): Float32Array =>
    tf.tidy(() => layer.apply(ones, { training, ...(step === undefined ? {} : { step }) }) as tf.Tensor).dataSync() as Float32Array;

  it('the same step gives the same mask, another step another; rate and scaling as asked; identity in inference', () => {
    const a = draw(3);
    expect(Array.from(draw(3))).toEqual(Array.from(a));
    expect(Array.from(draw(4))).not.toEqual(Array.from(a));
    const zeros = a.filter((v) => v === 0).length;
    expect(zeros / a.length).toBeGreaterThan(0.2);
    expect(zeros / a.length).toBeLessThan(0.3);
    expect(a.every((v) => v === 0 || Math.abs(v - 1 / 0.75) < 1e-6)).toBe(true);
    expect(Array.from(draw(undefined, false)).every((v) => v === 1)).toBe(true);
  });

  it('refuses to train without a step (masks would repeat)', () => {
    expect(() => draw(undefined)).toThrow(/needs the step number/);
  });
});
