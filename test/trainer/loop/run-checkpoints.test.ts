import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OptionsError } from '../../../src/core/errors.js';
import { readCheckpoint } from '../../../src/trainer/checkpoint.js';
import { newLoopState, type LoopState } from '../../../src/trainer/loop/loop-state.js';
import type { Monitor } from '../../../src/trainer/loop/monitor.js';
import { runCheckpoints } from '../../../src/trainer/loop/run-checkpoints.js';
import { createOptimizer } from '../../../src/trainer/optim/optimizer.js';
import { tabularModel } from '../helpers/tabular.js';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'ff-loop-ckpt-'));
  dirs.push(d);
  return d;
};
beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function stage(monitor: Monitor, minDelta?: number, dir = tmp(), config = { data: 'a' }, seed = 4) {
  const model = tabularModel(2);
  const optimizer = createOptimizer({ type: 'adam' }, model.trainableVariables());
  return { model, optimizer, checkpoints: runCheckpoints({ dir, model, optimizer, monitor, config, seed, ...(minDelta === undefined ? {} : { minDelta }) }) };
}

/** Judges `values` epoch by epoch; returns the improved flags and the final best/bad-epoch bookkeeping. */
function judgeAll(monitor: Monitor, values: readonly number[], minDelta?: number) {
  const { checkpoints, optimizer } = stage(monitor, minDelta);
  const state = newLoopState();
  const improved = values.map((v, epoch) => checkpoints.judge(state, v, epoch));
  optimizer.dispose();
  return { improved, bestValue: state.bestValue, bestEpoch: state.bestEpoch, badEpochs: state.badEpochs };
}

describe('runCheckpoints', () => {
  it('keeps the best by the monitored value in min mode (the first epoch is always best)', () => {
    expect(judgeAll({ key: 'train.losses.total', mode: 'min' }, [0.9, 0.7, 0.8, 0.7, 0.5, 0.6])).toEqual({
      improved: [true, true, false, false, true, false],
      bestValue: 0.5,
      bestEpoch: 4,
      badEpochs: 1,
    });
  });

  it('keeps the best by the monitored value in max mode', () => {
    expect(judgeAll({ key: 'validation.metrics.auc', mode: 'max' }, [0.6, 0.7, 0.65, 0.7, 0.71])).toEqual({
      improved: [true, true, false, false, true],
      bestValue: 0.71,
      bestEpoch: 4,
      badEpochs: 0,
    });
  });

  it('an improvement must beat the best by more than minDelta; bad epochs count up until one does', () => {
    expect(judgeAll({ key: 'train.losses.total', mode: 'min' }, [1, 0.95, 0.9, 0.85, 0.5], 0.1)).toEqual({
      improved: [true, false, false, true, true],
      bestValue: 0.5,
      bestEpoch: 4,
      badEpochs: 0,
    });
    expect(judgeAll({ key: 'validation.metrics.auc', mode: 'max' }, [0.5, 0.55, 0.6, 0.61], 0.05)).toEqual({
      improved: [true, false, true, false],
      bestValue: 0.6,
      bestEpoch: 2,
      badEpochs: 1,
    });
  });

  it('writes best.ckpt and last.ckpt with the loop state, seed, monitor and config; resume restores them and the weights', async () => {
    const dir = tmp();
    const monitor: Monitor = { key: 'train.losses.total', mode: 'min' };
    const a = stage(monitor, undefined, dir, { data: 'a' }, 11);
    const state: LoopState = { ...newLoopState(), epoch: 2, position: 64, step: 9, sums: { total: 1.5 }, batches: 3, samples: 96 };
    a.checkpoints.judge(state, 0.4, 1);
    await a.checkpoints.writeBest(state);
    state.step = 10;
    await a.checkpoints.writeLast(state);
    const best = readCheckpoint(join(dir, 'best.ckpt')).trainState;
    const last = readCheckpoint(join(dir, 'last.ckpt')).trainState;
    expect(best).toEqual({ loop: { ...state, step: 9 }, seed: 11, monitor, config: { data: 'a' } });
    expect(last['loop']).toEqual(state);
    expect(Object.keys(last['loop'] as object)).toEqual(['epoch', 'position', 'step', 'bestValue', 'bestEpoch', 'badEpochs', 'sums', 'batches', 'samples']);

    // Another model (other initial weights) and seed resume to the recorded ones.
    const b = stage(monitor, undefined, dir, { data: 'a' }, 99);
    const resumed = newLoopState();
    b.checkpoints.resume(resumed);
    expect(resumed).toEqual(state);
    expect(b.checkpoints.seed).toBe(11);
    const wa = a.model.net.getWeights().map((w) => Array.from(w.dataSync()));
    const wb = b.model.net.getWeights().map((w) => Array.from(w.dataSync()));
    expect(wb).toEqual(wa);
    a.optimizer.dispose();
    b.optimizer.dispose();
  });

  it('resume names the first configuration field that differs and changes nothing', async () => {
    const dir = tmp();
    const monitor: Monitor = { key: 'train.losses.total', mode: 'min' };
    const a = stage(monitor, undefined, dir, { data: 'a' });
    await a.checkpoints.writeLast(newLoopState());
    const b = stage(monitor, undefined, dir, { data: 'b' });
    const state = newLoopState();
    expect(() => b.checkpoints.resume(state)).toThrow(OptionsError);
    expect(() => b.checkpoints.resume(state)).toThrow(/resume: data differs: run was "a", now "b" \(recorded in .*last\.ckpt\)/);
    expect(state).toEqual(newLoopState());
    expect(b.checkpoints.seed).toBe(4);
    a.optimizer.dispose();
    b.optimizer.dispose();
  });
});
