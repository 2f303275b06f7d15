import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { deleteKey, type Sample } from '../../../src/core/sample.js';
import { epochLogger } from '../../../src/trainer/loop/epoch-logger.js';
import { endEpoch, newLoopState, type LoopState } from '../../../src/trainer/loop/loop-state.js';
import { trainingEpoch, type StepInfo, type StreamPosition, type TrainingEpochOptions } from '../../../src/trainer/loop/training-epoch.js';
import { trainingStep } from '../../../src/trainer/loop/training-step.js';
import { crossEntropy } from '../../../src/trainer/losses/cross-entropy.js';
import { lrSchedule } from '../../../src/trainer/optim/lr-schedule.js';
import { createOptimizer } from '../../../src/trainer/optim/optimizer.js';
import { TrainingError } from '../../../src/trainer/training-error.js';
import { tabularModel, trainBatches } from '../helpers/tabular.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const ce = crossEntropy({ pred: 'model.logits.cls', target: 'data.label' });

/** The stream `train` gives, recording where each epoch was asked to start and whether it was closed. */
function recorded(train: (at: StreamPosition) => AsyncIterable<Sample>) {
  const asked: StreamPosition[] = [];
  let closed = 0;
  let pulled = 0;
  const wrapped = (at: StreamPosition): AsyncIterable<Sample> => ({
    async *[Symbol.asyncIterator]() {
      asked.push(at);
      try {
        for await (const b of train(at)) {
          pulled += 1;
          yield b;
        }
      } finally {
        closed += 1;
      }
    },
  });
  return { train: wrapped, asked, closed: () => closed, pulled: () => pulled };
}

function setup(train: (at: StreamPosition) => AsyncIterable<Sample>, extra: Partial<TrainingEpochOptions> = {}) {
  const model = tabularModel(2);
  const variables = model.trainableVariables();
  const optimizer = createOptimizer({ type: 'adam' }, variables);
  const checkpoints: number[] = [];
  const steps: StepInfo[] = [];
  const state = newLoopState();
  const options: TrainingEpochOptions = {
    model,
    train,
    seed: 3,
    step: trainingStep({ model, losses: [ce], variables, optimizer, lastPath: '/nonexistent/last.ckpt' }),
    schedule: lrSchedule({ type: 'step', lr: 0.1, stepSize: 2, gamma: 0.5 }),
    logger: epochLogger({ logPath: '/nonexistent/log.jsonl', epochs: 2, monitorKey: 'train.losses.total', progress: false }),
    checkpoint: () => {
      checkpoints.push(state.step);
      return Promise.resolve();
    },
    onStep: (info) => steps.push(info),
    ...extra,
  };
  return { state, options, optimizer, checkpoints, steps };
}

describe('trainingEpoch', () => {
  it('resumes the stream after the samples already consumed and advances the loop state; mid-epoch checkpoints every N run steps', async () => {
    const src = recorded(trainBatches(96, 16));
    const { state, options, optimizer, checkpoints, steps } = setup(src.train, { checkpointEverySteps: 3 });
    // As resumed from a checkpoint taken 2 steps (32 samples) into epoch 1.
    const resumed: LoopState = { ...state, epoch: 1, position: 32, step: 8, sums: { total: 1, crossEntropy: 1 }, batches: 2, samples: 32 };
    Object.assign(state, resumed);
    const run = await trainingEpoch(state, options);
    expect(src.asked).toEqual([{ epoch: 1, seed: 3, position: 32 }]);
    expect(src.closed()).toBe(1);
    expect(state).toMatchObject({ epoch: 1, position: 96, step: 12, batches: 6, samples: 96 });
    expect(steps.map((s) => [s.step, s.position])).toEqual([
      [9, 48],
      [10, 64],
      [11, 80],
      [12, 96],
    ]);
    expect(checkpoints).toEqual([9, 12]);
    expect(run.interrupted).toBe(false);
    if (run.interrupted) return;
    // Step schedule: lr 0.1 × 0.5^floor(step / 2); the last step ran at step 11.
    expect(run.lr).toBe(0.1 * 0.5 ** 5);
    const stepLosses = steps.map((s) => s.loss);
    expect(run.train.losses['total']).toBeCloseTo((1 + stepLosses.reduce((a, b) => a + b, 0)) / 6, 12);
    expect(run.train.samples).toBe(96);
    endEpoch(state);
    expect(state).toMatchObject({ epoch: 2, position: 0, step: 12, sums: {}, batches: 0, samples: 0 });
    optimizer.dispose();
  });

  it('an aborted signal ends the epoch before the next batch is pulled; the stream is closed', async () => {
    const src = recorded(trainBatches(96, 16));
    const controller = new AbortController();
    const { state, options, optimizer, checkpoints } = setup(src.train, { signal: controller.signal, onStep: ({ step }) => (step === 2 ? controller.abort() : undefined) });
    const run = await trainingEpoch(state, options);
    expect(run).toEqual({ interrupted: true });
    expect(src.pulled()).toBe(2);
    expect(src.closed()).toBe(1);
    expect(state).toMatchObject({ epoch: 0, position: 32, step: 2, batches: 2 });
    expect(checkpoints).toEqual([]);
    optimizer.dispose();
  });

  it('keeps the tensor count flat from epoch to epoch', async () => {
    const { state, options, optimizer } = setup(trainBatches(64, 16));
    const counts: number[] = [];
    for (let e = 0; e < 3; e++) {
      await trainingEpoch(state, options);
      endEpoch(state);
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts).size).toBe(1);
    optimizer.dispose();
  });

  it('an empty stream is a TrainingError naming epoch and step', async () => {
    const src = recorded(() => ({ async *[Symbol.asyncIterator]() {} }));
    const { state, options, optimizer } = setup(src.train);
    await expect(trainingEpoch(state, options)).rejects.toThrow(new TrainingError('the training stream yielded no batches this epoch', { epoch: 0, step: 0 }));
    optimizer.dispose();
  });

  it('a failing step (a batch without its label) closes the stream', async () => {
    const batches = trainBatches(64, 16);
    const src = recorded((at) => ({
      async *[Symbol.asyncIterator]() {
        let i = 0;
        for await (const b of batches(at)) yield i++ === 1 ? deleteKey(b, 'data.label') : b;
      },
    }));
    const { state, options, optimizer } = setup(src.train);
    await expect(trainingEpoch(state, options)).rejects.toThrow(/^epoch 0, step 1: missing key 'data\.label'/);
    expect(src.closed()).toBe(1);
    expect(state).toMatchObject({ step: 1, position: 16 });
    optimizer.dispose();
  });
});
