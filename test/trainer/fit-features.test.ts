import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { OptionsError } from '../../src/core/errors.js';
import { OutputError } from '../../src/core/safe-fs.js';
import { getKey, type Sample } from '../../src/core/sample.js';
import { loadModel, readCheckpoint } from '../../src/trainer/checkpoint.js';
import { fit, type EpochLog, type FitOptions } from '../../src/trainer/fit.js';
import type { Callback } from '../../src/trainer/loop/callbacks.js';
import { crossEntropy } from '../../src/trainer/losses/cross-entropy.js';
import type { DictModel } from '../../src/trainer/models/dict-model.js';
import { tempFolder } from '../temp-folder.js';
import { tabularModel, trainBatches, validationBatches } from './helpers/tabular.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const ce = crossEntropy({ pred: 'model.logits.cls', target: 'data.label' });
const { dir: root } = tempFolder('ff-fit-features-');
let runs = 0;
const runDir = (): string => join(root, `run-${runs++}`);

const base = (): FitOptions => ({
  model: tabularModel(3),
  losses: [ce],
  train: trainBatches(96, 16),
  epochs: 4,
  seed: 1,
  optimizer: { type: 'sgd', momentum: 0.9 },
  schedule: { type: 'constant', lr: 0.1 },
  progress: false,
  backend: 'current',
  dir: runDir(),
});

/** Mean over batches of the batch-mean cross-entropy, in float64 from the model's logits (hand reference). */
async function handLoss(model: DictModel, data: () => AsyncIterable<Sample>): Promise<number> {
  let sum = 0;
  let batches = 0;
  for await (const b of data()) {
    const logits = tf.tidy(() => model.forward(b, {})['model.logits.cls']!.arraySync() as number[][]);
    const labels = getKey<{ readonly data: ArrayLike<number> }>(b, 'data.label').data;
    let s = 0;
    logits.forEach((row, i) => {
      const m = Math.max(...row);
      s += m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0)) - row[Number(labels[i])]!;
    });
    sum += s / logits.length;
    batches += 1;
  }
  return sum / batches;
}

const logLines = (dir: string): EpochLog[] =>
  readFileSync(join(dir, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as EpochLog);

describe('fit: several validation sets and a test stage', () => {
  it('logs each named set, monitors the one named, and tests best.ckpt on held-out data (test.json)', async () => {
    const internal = validationBatches(200, 300, 32);
    const external = validationBatches(300, 400, 32);
    const heldout = validationBatches(400, 500, 32);
    const options = { ...base(), validation: { internal, external }, monitor: { key: 'validations.external.losses.total', mode: 'min' as const }, test: { data: { heldout } } };
    const r = await fit(options);
    const lines = logLines(options.dir);
    expect(lines.map((l) => Object.keys(l.validations ?? {}))).toEqual(Array.from({ length: 4 }, () => ['internal', 'external']));
    const ext = lines.map((l) => l.validations!['external']!.losses['total']!);
    expect(lines.map((l) => l.monitor)).toEqual(ext);
    expect(r.bestValue).toBe(Math.min(...ext));
    expect(r.bestEpoch).toBe(ext.indexOf(Math.min(...ext)));
    // The last epoch's numbers are those of last.ckpt's weights on each set (hand reference).
    const last = await loadModel(join(options.dir, 'last.ckpt'));
    expect(lines[3]!.validations!['internal']!.losses['total']).toBeCloseTo(await handLoss(last, internal), 5);
    // The test stage ran on best.ckpt's weights.
    const best = await loadModel(join(options.dir, 'best.ckpt'));
    const want = await handLoss(best, heldout);
    expect(r.test?.['heldout']?.losses['total']).toBeCloseTo(want, 5);
    const record = JSON.parse(readFileSync(join(options.dir, 'test.json'), 'utf8')) as {
      checkpoint: string;
      epoch: number;
      sets: Record<string, { losses: Record<string, number> }>;
    };
    expect(record).toMatchObject({ checkpoint: 'best.ckpt', epoch: r.bestEpoch });
    expect(record.sets['heldout']?.losses['total']).toBe(r.test?.['heldout']?.losses['total']);
  });

  it('refuses a monitor naming an absent set, or the unnamed form with named sets', async () => {
    const v = { a: validationBatches(200, 232, 32) };
    await expect(fit({ ...base(), validation: v, monitor: { key: 'validations.b.losses.total', mode: 'min' } })).rejects.toThrow(
      new OptionsError("fit: monitor 'validations.b.losses.total' names validation set 'b', which this run does not have (a)"),
    );
    await expect(fit({ ...base(), validation: v, monitor: { key: 'validation.losses.total', mode: 'min' } })).rejects.toThrow(
      new OptionsError("fit: monitor 'validation.losses.total': the validation sets are named; monitor 'validations.<name>.…' (a)"),
    );
  });
});

describe('fit: ReduceLROnPlateau', () => {
  it('reduces the rate after the patience runs out, and saves its state in the checkpoint', async () => {
    // An absolute threshold no loss can beat: every epoch after the first is bad; patience 1.
    const options = { ...base(), epochs: 5, reduceOnPlateau: { monitor: 'train.losses.total', factor: 0.5, patience: 1, threshold: 100, thresholdMode: 'abs' as const } };
    const r = await fit(options);
    // e0 best · e1 bad 1 · e2 bad 2 > 1 → ×0.5 from e3 · e3 bad 1 · e4 bad 2 → ×0.5 after e4.
    expect(r.history.map((h) => h.lr)).toEqual([0.1, 0.1, 0.1, 0.05, 0.05]);
    const saved = readCheckpoint(join(options.dir, 'last.ckpt')).trainState;
    expect(saved['plateau']).toMatchObject({ best: r.history[0]!.train.losses['total'], badEpochs: 0, cooldownLeft: 0, scale: 0.25 });
  });
});

describe('fit: callbacks that act', () => {
  it('stop at an epoch end, change the rate, log a monitored value and save artefacts', async () => {
    const seen: number[] = [];
    const cb: Callback = {
      name: 'acting',
      onEpochEnd(ctx) {
        seen.push(ctx.epoch);
        ctx.log('score', 1 - (ctx.epoch - 1) ** 2); // peaks at epoch 1
        ctx.saveArtifact(`epoch-${ctx.epoch}.json`, JSON.stringify({ loss: (ctx.entry['train'] as EpochLog['train']).losses['total'] }));
        if (ctx.epoch === 0) ctx.setLr(0.01);
        if (ctx.epoch === 2) ctx.stop('enough');
      },
    };
    const options = { ...base(), epochs: 10, callbacks: [cb], monitor: { key: 'logged.score', mode: 'max' as const } };
    const r = await fit(options);
    expect(seen).toEqual([0, 1, 2]);
    expect(r.stoppedBy).toBe('acting: enough');
    expect(r.interrupted).toBe(false);
    expect(r.history.map((h) => h.lr)).toEqual([0.1, 0.01, 0.01]);
    expect(r.bestEpoch).toBe(1);
    expect(logLines(options.dir).map((l) => l.logged)).toEqual([{ score: 0 }, { score: 1 }, { score: 0 }]);
    const art = JSON.parse(readFileSync(join(options.dir, 'artifacts', 'epoch-1.json'), 'utf8')) as { loss: number };
    expect(art.loss).toBe(r.history[1]!.train.losses['total']);
    expect(readCheckpoint(join(options.dir, 'last.ckpt')).trainState['lrScale']).toBeCloseTo(0.1, 12);
  });

  it('a step callback stops mid-epoch like the signal; resuming continues with its saved state', async () => {
    let count = 0;
    const counter = (stopAt: number | null): Callback => ({
      name: 'counter',
      onStepEnd(ctx) {
        count += 1;
        if (ctx.step === stopAt) ctx.stop();
      },
      state: () => ({ count }),
      load: (s) => (count = (s as { count: number }).count),
    });
    const options = { ...base(), epochs: 2, checkpointEverySteps: 1 };
    const first = await fit({ ...options, callbacks: [counter(4)] });
    expect(first).toMatchObject({ interrupted: true, stoppedBy: 'counter: stopped', steps: 4 });
    expect(readCheckpoint(join(options.dir, 'last.ckpt')).trainState['callbacks']).toEqual({ counter: { count: 4 } });
    count = 1000; // the resumed run reads the saved count back
    const second = await fit({ ...options, callbacks: [counter(null)], resume: true });
    expect(second.steps).toBe(12);
    expect(count).toBe(12);
  });

  it('artefacts: a bad name is refused; an existing one is not replaced on a new run unless asked', async () => {
    const options = { ...base(), epochs: 1 };
    await expect(fit({ ...options, callbacks: [{ name: 'c', onEpochEnd: (ctx) => void ctx.saveArtifact('../escape.txt', 'x') }] })).rejects.toThrow(
      new OptionsError(`callback 'c': artefact name must be a plain file name (letters, digits, '.', '_', '-'), got "../escape.txt"`),
    );
    expect(existsSync(join(root, 'escape.txt'))).toBe(false);
    const twice: Callback = {
      name: 'twice',
      onEpochEnd(ctx) {
        ctx.saveArtifact('a.txt', 'one');
        ctx.saveArtifact('a.txt', 'two');
      },
    };
    const dir = runDir();
    await expect(fit({ ...options, dir, callbacks: [twice] })).rejects.toThrow(OutputError);
    const replace: Callback = {
      name: 'replace',
      onEpochEnd(ctx) {
        ctx.saveArtifact('b.txt', 'one');
        ctx.saveArtifact('b.txt', 'two', { overwrite: true });
      },
    };
    const dir2 = runDir();
    await fit({ ...options, dir: dir2, callbacks: [replace] });
    expect(readFileSync(join(dir2, 'artifacts', 'b.txt'), 'utf8')).toBe('two');
    await expect(fit({ ...options, callbacks: [twice, { name: 'twice' }] })).rejects.toThrow(new OptionsError("fit: two callbacks are named 'twice'"));
  });
});
