import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { OptionsError } from '../../src/core/errors.js';
import { clipByGlobalNorm, clipByGlobalNormAsync } from '../../src/trainer/optim/clip-gradients.js';
import { lrSchedule } from '../../src/trainer/optim/lr-schedule.js';
import { createOptimizer } from '../../src/trainer/optim/optimizer.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('learning-rate schedules (hand-derived values)', () => {
  it('warm-up ramps linearly then holds', () => {
    const s = lrSchedule({ type: 'constant', lr: 0.1, warmupSteps: 4 });
    [0.025, 0.05, 0.075, 0.1, 0.1, 0.1].forEach((lr, i) => expect(s.at([0, 1, 2, 3, 4, 100][i]!)).toBeCloseTo(lr, 15));
  });
  it('step decay multiplies by gamma every stepSize steps', () => {
    const s = lrSchedule({ type: 'step', lr: 1, stepSize: 10, gamma: 0.5 });
    expect([0, 9, 10, 19, 20, 35].map((i) => s.at(i))).toEqual([1, 1, 0.5, 0.5, 0.25, 0.125]);
  });
  it('cosine anneals from lr to minLr over totalSteps after warm-up', () => {
    const s = lrSchedule({ type: 'cosine', lr: 1, minLr: 0.1, totalSteps: 12, warmupSteps: 2 });
    expect(s.at(0)).toBeCloseTo(0.5, 12);
    expect(s.at(2)).toBeCloseTo(1, 12);
    expect(s.at(7)).toBeCloseTo(0.55, 12); // halfway: (1 + 0.1) / 2
    expect(s.at(12)).toBe(0.1);
  });
  it('rejects bad configurations', () => {
    expect(() => lrSchedule({ type: 'constant', lr: 0 })).toThrow(OptionsError);
    expect(() => lrSchedule({ type: 'cosine', lr: 1, totalSteps: 5, warmupSteps: 5 })).toThrow(OptionsError);
    expect(() => lrSchedule({ type: 'step', lr: 1, stepSize: 0 })).toThrow(OptionsError);
  });
});

describe('optimizers', () => {
  it('Adam: two steps on f(w) = w² from w = 1 match the hand-derived update', () => {
    const w = tf.variable(tf.scalar(1));
    const opt = createOptimizer({ type: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }, [w]);
    let expected = 1;
    let m = 0;
    let v = 0;
    for (let t = 1; t <= 2; t++) {
      const g = 2 * expected;
      m = 0.9 * m + 0.1 * g;
      v = 0.999 * v + 0.001 * g * g;
      expected -= (0.1 * (m / (1 - 0.9 ** t))) / (Math.sqrt(v / (1 - 0.999 ** t)) + 1e-8);
      const grad = tf.mul(w, 2);
      opt.apply([grad], 0.1);
      grad.dispose();
    }
    expect(w.dataSync()[0]).toBeCloseTo(expected, 6);
    expect(opt.step).toBe(2);
    opt.dispose();
    w.dispose();
  });

  it('SGD with momentum matches the PyTorch recurrence; state round-trips exactly', async () => {
    const w = tf.variable(tf.tensor1d([1, -2]));
    const opt = createOptimizer({ type: 'sgd', momentum: 0.5 }, [w]);
    const g = tf.tensor1d([1, 1]);
    opt.apply([g], 0.1); // buf = g; w -= 0.1 * g
    opt.apply([g], 0.1); // buf = 0.5 + 1 = 1.5
    expect(Array.from(w.dataSync())).toEqual([Math.fround(Math.fround(1 - 0.1) - Math.fround(0.15)), Math.fround(Math.fround(-2 - 0.1) - Math.fround(0.15))]);
    const state = await opt.state();
    const w2 = tf.variable(tf.tensor1d([0, 0]));
    const opt2 = createOptimizer({ type: 'sgd', momentum: 0.5 }, [w2]);
    opt2.load(state);
    expect(opt2.step).toBe(2);
    expect(Array.from((await opt2.state()).slots[0]!.data)).toEqual([1.5, 1.5]);
    tf.dispose([g, w, w2]);
    opt.dispose();
    opt2.dispose();
  });

  it('clips by global norm', () => {
    const a = tf.tensor1d([3, 0]);
    const b = tf.tensor1d([0, 4]);
    const { grads, norm } = clipByGlobalNorm([a, b], 1);
    expect(norm).toBeCloseTo(5, 6);
    expect(Array.from(grads[0]!.dataSync())[0]).toBeCloseTo(0.6, 5);
    expect(Array.from(grads[1]!.dataSync())[1]).toBeCloseTo(0.8, 5);
    tf.dispose([a, b, ...grads]);
  });

  it('clips by global norm with an asynchronous read (the path fit takes, WebGPU included): the same bits as the synchronous one', async () => {
    const a = tf.tensor1d([3, 0, 1e-3]);
    const b = tf.tensor1d([0, 4]);
    for (const max of [1, 5.0001, 10]) {
      const sync = clipByGlobalNorm([a, b], max);
      const later = await clipByGlobalNormAsync([a, b], max);
      expect(later.norm).toBe(sync.norm);
      later.grads.forEach((g, i) => expect(Array.from(g.dataSync())).toEqual(Array.from(sync.grads[i]!.dataSync())));
      tf.dispose([...sync.grads, ...later.grads]);
    }
    // hand-derived: norm sqrt(9 + 1e-6 + 16), clipped to 1
    const { grads, norm } = await clipByGlobalNormAsync([a, b], 1);
    expect(norm).toBeCloseTo(Math.sqrt(25.000001), 5);
    expect(grads[1]!.dataSync()[1]).toBeCloseTo(4 / (norm + 1e-6), 6);
    tf.dispose([a, b, ...grads]);
  });

  it('rejects bad hyper-parameters', () => {
    expect(() => createOptimizer({ type: 'adam', beta1: 1 }, [])).toThrow(OptionsError);
    expect(() => createOptimizer({ type: 'sgd', momentum: -0.1 }, [])).toThrow(OptionsError);
  });
});

describe('per-variable learning-rate factors (parameter groups)', () => {
  it('SGD: each variable moves by lr × its factor × its gradient (hand-derived); bad factor lists are refused', () => {
    const a = tf.variable(tf.tensor1d([1, 2]));
    const b = tf.variable(tf.tensor1d([3]));
    const opt = createOptimizer({ type: 'sgd' }, [a, b], { lrScales: [0.5, 0] });
    const ga = tf.tensor1d([1, -2]);
    const gb = tf.tensor1d([4]);
    opt.apply([ga, gb], 0.1);
    // a − 0.1·0.5·g = [1 − 0.05, 2 + 0.1]; b unchanged (factor 0).
    expect(Array.from(a.dataSync())).toEqual([Math.fround(1 - 0.05), Math.fround(2 + 0.1)]);
    expect(Array.from(b.dataSync())).toEqual([3]);
    expect(() => createOptimizer({ type: 'sgd' }, [a, b], { lrScales: [1] })).toThrow(new OptionsError('optimizer: lrScales needs 2 finite factors ≥ 0, got 1'));
    expect(() => createOptimizer({ type: 'sgd' }, [a, b], { lrScales: [1, -1] })).toThrow(OptionsError);
    opt.dispose();
    tf.dispose([a, b, ga, gb]);
  });
});
