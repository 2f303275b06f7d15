import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { MissingKeyError, OptionsError } from '../../src/core/errors.js';
import { deleteKey, setKey, type Sample } from '../../src/core/sample.js';
import type { Metric } from '../../src/eval/metric.js';
import { readCheckpoint } from '../../src/trainer/checkpoint.js';
import { fit } from '../../src/trainer/fit.js';
import { crossEntropy } from '../../src/trainer/losses/cross-entropy.js';
import { TrainingError } from '../../src/trainer/training-error.js';
import { tabularModel, trainBatches, validationBatches } from './helpers/tabular.js';
import { tempDirs } from '../temp-dirs.js';

const tmp = tempDirs({ prefix: 'ff-fit-', removeAfter: 'all' });
beforeAll(async () => {
  await tf.setBackend('cpu');
});

const ce = crossEntropy({ pred: 'model.logits.cls', target: 'data.label' });

function mapBatches(src: AsyncIterable<Sample>, f: (b: Sample, i: number) => Sample): AsyncIterable<Sample> {
  return {
    async *[Symbol.asyncIterator]() {
      let i = 0;
      for await (const b of src) yield f(b, i++);
    },
  };
}

describe('fit', () => {
  it('learns the breast-cancer table, keeps the tensor count flat over 3 epochs, logs JSONL and writes best/last', async () => {
    const dir = tmp();
    const model = tabularModel(3);
    const counts: number[] = [];
    const result = await fit({
      model,
      losses: [ce],
      train: trainBatches(400, 32),
      validation: validationBatches(400, 569, 64),
      epochs: 3,
      seed: 5,
      dir,
      schedule: { type: 'cosine', lr: 0.01, totalSteps: 39, warmupSteps: 3 },
      clipNorm: 5,
      progress: false,
      backend: 'cpu',
      onEpoch: () => counts.push(tf.memory().numTensors),
    });
    expect(counts[0]).toBe(counts[1]);
    expect(counts[1]).toBe(counts[2]);
    expect(result.history).toHaveLength(3);
    expect(result.steps).toBe(3 * 13);
    const last = result.history[2]!;
    expect(last.validation!.losses['total']).toBeLessThan(0.25);
    expect(last.validation!.losses['total']).toBeLessThan(result.history[0]!.train.losses['total']!);
    const lines = readFileSync(join(dir, 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { epoch: number });
    expect(lines.map((l) => l.epoch)).toEqual([0, 1, 2]);
    expect(existsSync(join(dir, 'best.ckpt'))).toBe(true);
    const ckpt = readCheckpoint(join(dir, 'last.ckpt'));
    expect((ckpt.trainState['loop'] as { epoch: number; step: number }).epoch).toBe(3);
    expect(ckpt.optimizer!.step).toBe(39);
    expect(ckpt.optimizer!.slots).toHaveLength(2 * model.trainableVariables().length);
  });

  it('validates with evaluator metrics over model outputs and targets, monitors a metric (max) for best.ckpt', async () => {
    // A plain accuracy metric on the contract (argmax of the class-score rows vs the target).
    const acc: Metric<{ hit: number; n: number }, number> = {
      name: 'acc',
      init: () => ({ hit: 0, n: 0 }),
      update(s, b) {
        const scores = b['model.output.cls'] as ArrayLike<Float32Array>;
        const target = b['data.label'] as ArrayLike<number>;
        const ids = b['id'] as ArrayLike<string>;
        expect(ids.length).toBe(scores.length);
        for (let i = 0; i < scores.length; i++) s = { hit: s.hit + ((scores[i]![1]! > scores[i]![0]! ? 1 : 0) === Number(target[i]) ? 1 : 0), n: s.n + 1 };
        return s;
      },
      merge: (a, b) => ({ hit: a.hit + b.hit, n: a.n + b.n }),
      compute: (s) => s.hit / s.n,
    };
    const dir = tmp();
    const result = await fit({
      model: tabularModel(6),
      losses: [ce],
      train: trainBatches(400, 32),
      validation: validationBatches(400, 569, 50),
      metrics: [acc],
      metricKeys: ['model.output.cls', 'data.label'],
      monitor: { key: 'validation.metrics.acc', mode: 'max' },
      epochs: 2,
      dir,
      schedule: { type: 'constant', lr: 0.01 },
      progress: false,
      backend: 'cpu',
    });
    const v = result.history.map((h) => h.validation!.metrics['acc'] as number);
    expect(v[1]).toBeGreaterThan(0.9);
    expect(result.bestValue).toBe(Math.max(...v));
    expect(result.history.every((h) => h.monitor === h.validation!.metrics['acc'])).toBe(true);
  });

  it('pulls one batch at a time: never more than one batch ahead of the step it is training', async () => {
    const train = trainBatches(160, 16);
    let pulled = 0;
    let worst = 0;
    await fit({
      model: tabularModel(2),
      losses: [ce],
      train: (at) => mapBatches(train(at), (b) => ((pulled += 1), b)),
      epochs: 2,
      dir: tmp(),
      progress: false,
      backend: 'cpu',
      onStep: ({ step }) => (worst = Math.max(worst, pulled - step)),
    });
    expect(pulled).toBe(20);
    expect(worst).toBe(0);
  });

  it('an abort signal stops after the current step with the exact position in last.ckpt; resuming ends where an uninterrupted run does', async () => {
    const run = async (dir: string, signal?: AbortSignal, stopAt?: () => void, resume = false) =>
      fit({
        model: tabularModel(8),
        losses: [ce],
        train: trainBatches(96, 16),
        epochs: 2,
        seed: 3,
        dir,
        progress: false,
        backend: 'cpu',
        resume,
        ...(signal === undefined ? {} : { signal }),
        onStep: ({ step }) => (step === 8 ? stopAt?.() : undefined),
      });
    const straightDir = tmp();
    const straight = await run(straightDir);
    const dir = tmp();
    const controller = new AbortController();
    const first = await run(dir, controller.signal, () => controller.abort());
    expect(first.interrupted).toBe(true);
    expect(first.steps).toBe(8);
    const loop = readCheckpoint(join(dir, 'last.ckpt')).trainState['loop'] as { epoch: number; position: number };
    expect(loop).toMatchObject({ epoch: 1, position: 32 });
    const second = await run(dir, undefined, undefined, true);
    expect(second.interrupted).toBe(false);
    expect(second.resumedFrom).toEqual({ epoch: 1, position: 32, step: 8 });
    const a = readCheckpoint(join(straightDir, 'last.ckpt')).weights.map((w) => Array.from(w.data));
    const b = readCheckpoint(join(dir, 'last.ckpt')).weights.map((w) => Array.from(w.data));
    expect(b).toEqual(a);
    expect(straight.steps).toBe(12);
  });

  it('stops early when the monitored value stops improving', async () => {
    const result = await fit({
      model: tabularModel(4),
      losses: [ce],
      train: trainBatches(64, 32),
      epochs: 20,
      dir: tmp(),
      schedule: { type: 'constant', lr: 1e-9 },
      earlyStopping: { patience: 2, minDelta: 0.01 },
      progress: false,
      backend: 'cpu',
    });
    expect(result.stoppedEarly).toBe(true);
    expect(result.history).toHaveLength(3);
    expect(result.bestEpoch).toBe(0);
  });

  it('names the missing key and the step', async () => {
    const train = trainBatches(96, 32);
    const err = await fit({
      model: tabularModel(),
      losses: [ce],
      train: (at) => mapBatches(train(at), (b, i) => (i === 1 ? deleteKey(b, 'data.label') : b)),
      epochs: 1,
      dir: tmp(),
      progress: false,
      backend: 'cpu',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingError);
    expect((err as Error).message).toMatch(/step 1: missing key 'data\.label'/);
    expect((err as TrainingError).cause).toBeInstanceOf(MissingKeyError);
  });

  it('rejects a feature shape the model does not take, naming key, shapes and step', async () => {
    const train = trainBatches(64, 32);
    const err = await fit({
      model: tabularModel(),
      losses: [ce],
      train: (at) => mapBatches(train(at), (b) => setKey(b, 'data.features', { dtype: 'float32', shape: [32, 29], data: new Float32Array(32 * 29) })),
      epochs: 1,
      dir: tmp(),
      progress: false,
      backend: 'cpu',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingError);
    expect((err as Error).message).toMatch(/key 'data\.features'.*\[30\].*\[32,29\]/);
    expect((err as Error).message).toMatch(/step 0/);
  });

  it('stops on a NaN loss naming the step and leaves the last good checkpoint intact', async () => {
    const dir = tmp();
    const train = trainBatches(96, 32);
    await fit({ model: tabularModel(), losses: [ce], train, epochs: 1, dir, progress: false });
    const before = readFileSync(join(dir, 'last.ckpt'));
    const err = await fit({
      model: tabularModel(),
      losses: [ce],
      train: (at) =>
        mapBatches(train(at), (b, i) => {
          if (i < 2) return b;
          const data = new Float32Array(32 * 30).fill(Number.NaN);
          return setKey(b, 'data.features', { dtype: 'float32', shape: [32, 30], data });
        }),
      epochs: 3,
      resume: true,
      checkpointEverySteps: 1,
      dir,
      progress: false,
      backend: 'cpu',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingError);
    expect((err as Error).message).toMatch(/epoch 1, step 5: loss is NaN/);
    expect((err as Error).message).toMatch(/last good checkpoint/);
    const ckpt = readCheckpoint(join(dir, 'last.ckpt'));
    const loop = ckpt.trainState['loop'] as { step: number; position: number };
    expect(loop.step).toBe(5);
    expect(loop.position).toBe(64);
    expect(ckpt.weights.every((w) => w.data.every(Number.isFinite))).toBe(true);
    expect(readFileSync(join(dir, 'last.ckpt')).equals(before)).toBe(false);
  });

  it('validates options before training', async () => {
    const base = { model: tabularModel(), losses: [ce], train: trainBatches(32, 32), dir: tmp(), progress: false as const, backend: 'cpu' as const };
    await expect(fit({ ...base, epochs: 0 })).rejects.toThrow(OptionsError);
    await expect(fit({ ...base, epochs: 1, losses: [] })).rejects.toThrow(OptionsError);
    await expect(fit({ ...base, epochs: 1, monitor: { key: 'validation.metrics.auc', mode: 'max' } })).rejects.toThrow(/needs a validation set/);
    await expect(fit({ ...base, epochs: 1, losses: [ce, ce] })).rejects.toThrow(OptionsError);
    await expect(fit({ ...base, epochs: 1, train: () => mapBatches({ async *[Symbol.asyncIterator]() {} }, (b) => b) })).rejects.toThrow(
      /epoch 0, step 0: the training stream yielded no batches/,
    );
  });
});
