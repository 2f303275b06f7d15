import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Sample } from '../../../src/core/sample.js';
import { readCheckpoint } from '../../../src/trainer/checkpoint.js';
import { fit, type FitOptions } from '../../../src/trainer/fit.js';
import { trainingStep } from '../../../src/trainer/loop/training-step.js';
import { crossEntropy } from '../../../src/trainer/losses/cross-entropy.js';
import { createOptimizer, type OptimizerConfig } from '../../../src/trainer/optim/optimizer.js';
import { sliceBatch } from '../../../src/trainer/parallel/slice-batch.js';
import { tempFolder } from '../../temp-folder.js';
import { tabularModel, trainBatches, validationBatches } from '../helpers/tabular.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const ce = crossEntropy({ pred: 'model.logits.cls', target: 'data.label' });
const { dir: root } = tempFolder('ff-accumulate-');
let runs = 0;
const runDir = (): string => join(root, `run-${runs++}`);

async function firstBatch(size: number): Promise<Sample> {
  for await (const b of validationBatches(0, size, size)()) return b;
  throw new Error('no batch');
}

const weightsOf = (model: ReturnType<typeof tabularModel>): Float32Array[] => model.net.weights.map((w) => Float32Array.from(w.read().dataSync() as Float32Array));

/** Largest |a − b| over all weights. */
function maxDiff(a: readonly Float32Array[], b: readonly Float32Array[]): number {
  let worst = 0;
  a.forEach((x, i) => x.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - (b[i] as Float32Array)[j]!)))));
  return worst;
}

describe('gradient accumulation', () => {
  it.each<[string, OptimizerConfig]>([
    ['sgd', { type: 'sgd', momentum: 0.9 }],
    ['adam', { type: 'adam' }],
  ])('3 uneven micro-batches (5+5+6 rows) make one update equal to the 16-row batch to 1e-5 (%s)', async (_, config) => {
    const whole = await firstBatch(16);
    const parts = sliceBatch(whole, 16, 3);
    expect(parts.map((p) => p.end - p.start)).toEqual([5, 5, 6]);
    const run = async (accumulate: number, batches: readonly { batch: Sample; rows: number }[]): Promise<{ w: Float32Array[]; steps: number }> => {
      const model = tabularModel(7);
      const variables = model.trainableVariables();
      const optimizer = createOptimizer(config, variables);
      const step = trainingStep({ model, losses: [ce], variables, optimizer, lastPath: '/nonexistent', accumulate });
      const counts: number[] = [];
      for (let round = 0; round < 3; round++) {
        for (const b of batches) await step(b.batch, b.rows, { epoch: 0, step: optimizer.step }, 0.05);
        counts.push(tf.memory().numTensors);
      }
      expect(step.pending).toBe(0);
      // Nothing is left behind by an accumulated update: the tensor count is flat after each.
      expect(new Set(counts).size).toBe(1);
      const out = { w: weightsOf(model), steps: optimizer.step };
      optimizer.dispose();
      return out;
    };
    const big = await run(1, [{ batch: whole, rows: 16 }]);
    const acc = await run(
      3,
      parts.map((p) => ({ batch: p.batch, rows: p.end - p.start })),
    );
    expect(acc.steps).toBe(3);
    expect(big.steps).toBe(3);
    expect(maxDiff(acc.w, big.w)).toBeLessThan(1e-5);
  });

  it('fit with batches of 8 and accumulate 4 equals batches of 32 (same sample order, a partial last group) to 1e-5, same step count', async () => {
    const base: Omit<FitOptions, 'train' | 'model' | 'dir'> = {
      losses: [ce],
      epochs: 2,
      seed: 3,
      optimizer: { type: 'sgd', momentum: 0.9 },
      schedule: { type: 'constant', lr: 0.05 },
      progress: false,
      backend: 'current',
    };
    const a = tabularModel(2);
    const ra = await fit({ ...base, model: a, train: trainBatches(200, 32), dir: runDir() });
    const b = tabularModel(2);
    const steps: number[] = [];
    const rb = await fit({ ...base, model: b, train: trainBatches(200, 8), dir: runDir(), accumulate: 4, onStep: (s) => void steps.push(s.step) });
    // 200 rows: 6 groups of 32 and one of 8 per epoch, as 6 batches of 32 and one of 8.
    expect(ra.steps).toBe(14);
    expect(rb.steps).toBe(14);
    expect(steps).toEqual(Array.from({ length: 14 }, (_, i) => i + 1));
    expect(maxDiff(weightsOf(b), weightsOf(a))).toBeLessThan(1e-5);
    expect(rb.history[1]?.train.samples).toBe(200);
  });

  it('an abort signal mid-group stops at the next update: last.ckpt holds a whole number of groups', async () => {
    const controller = new AbortController();
    const dir = runDir();
    const batches = trainBatches(200, 8);
    let pulled = 0;
    const train = (at: Parameters<typeof batches>[0]): AsyncIterable<Sample> => ({
      async *[Symbol.asyncIterator]() {
        for await (const b of batches(at)) {
          pulled += 1;
          if (pulled === 5) controller.abort(); // inside the second group of 3
          yield b;
        }
      },
    });
    const r = await fit({ model: tabularModel(2), losses: [ce], train, epochs: 1, dir, accumulate: 3, signal: controller.signal, progress: false, backend: 'current' });
    expect(r.interrupted).toBe(true);
    expect(r.steps).toBe(2);
    expect(pulled).toBe(6);
    const loop = readCheckpoint(join(dir, 'last.ckpt')).trainState['loop'] as { step: number; position: number; batches: number };
    expect(loop).toMatchObject({ step: 2, position: 48, batches: 6 });
  });

  it('composes with threads: 2 replicas with accumulate 2 match 1 thread with accumulate 2 to 1e-5', async () => {
    const base = { losses: [ce], epochs: 1, seed: 4, schedule: { type: 'constant', lr: 0.01 } as const, progress: false, backend: 'current' as const, accumulate: 2 };
    const one = tabularModel(5);
    await fit({ ...base, model: one, train: trainBatches(128, 16), dir: runDir(), threads: 1 });
    const two = tabularModel(5);
    await fit({ ...base, model: two, train: trainBatches(128, 16), dir: runDir(), threads: 2 });
    expect(maxDiff(weightsOf(two), weightsOf(one))).toBeLessThan(1e-5);
  });

  it('refuses a non-integer or zero accumulate before touching the folder', async () => {
    const dir = runDir();
    await expect(fit({ model: tabularModel(1), losses: [ce], train: trainBatches(32, 8), epochs: 1, dir, accumulate: 0, progress: false, backend: 'current' })).rejects.toThrow(
      'fit: accumulate must be a positive integer, got 0',
    );
    await expect(fit({ model: tabularModel(1), losses: [ce], train: trainBatches(32, 8), epochs: 1, dir, accumulate: 1.5, progress: false, backend: 'current' })).rejects.toThrow(
      'fit: accumulate must be a positive integer, got 1.5',
    );
  });
});
