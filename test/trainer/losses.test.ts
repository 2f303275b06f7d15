import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { OptionsError, TypeMismatchError } from '../../src/core/errors.js';
import { tensor } from '../../src/core/tensor.js';
import { binaryCrossEntropy } from '../../src/trainer/losses/binary-cross-entropy.js';
import { crossEntropy } from '../../src/trainer/losses/cross-entropy.js';
import { dice } from '../../src/trainer/losses/dice.js';
import { focal } from '../../src/trainer/losses/focal.js';
import { totalLoss, type Loss } from '../../src/trainer/losses/loss.js';
import { mse } from '../../src/trainer/losses/mse.js';

/** Reference values from scikit-learn 1.2.1 / NumPy: test/fixtures/trainer/losses-reference.py. */
const ref = JSON.parse(readFileSync(new URL('../fixtures/trainer/losses-reference.json', import.meta.url), 'utf8')) as Record<string, number & number[] & number[][]>;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const f32 = (rows: number[][] | number[]): Float32Array => Float32Array.from((rows as unknown[]).flat(3) as number[]);
function value(loss: Loss, batch: Record<string, unknown>, outputs: Record<string, tf.Tensor> = {}): number {
  return tf.tidy(() => loss.compute(batch, outputs, {}).dataSync()[0] as number);
}

describe('losses against scikit-learn / NumPy references', () => {
  const logits = ref.logits as unknown as number[][];
  const batch = { data: { label: ref.y as unknown as number[] } };
  const out = (): Record<string, tf.Tensor> => ({ 'model.logits.c': tf.tensor2d(logits) });

  it('cross-entropy = log_loss, class-weighted = weighted log_loss', () => {
    expect(value(crossEntropy({ pred: 'model.logits.c', target: 'data.label' }), batch, out())).toBeCloseTo(ref['crossEntropy'] as number, 5);
    const w = crossEntropy({ pred: 'model.logits.c', target: 'data.label', classWeights: ref.classWeights as unknown as number[] });
    expect(value(w, batch, out())).toBeCloseTo(ref['crossEntropyWeighted'] as number, 5);
  });

  it('focal with γ=2, with and without α; γ=0 is cross-entropy', () => {
    expect(value(focal({ pred: 'model.logits.c', target: 'data.label', gamma: 2 }), batch, out())).toBeCloseTo(ref['focal'] as number, 5);
    expect(value(focal({ pred: 'model.logits.c', target: 'data.label', gamma: 2, alpha: ref.alpha as unknown as number[] }), batch, out())).toBeCloseTo(
      ref['focalAlpha'] as number,
      5,
    );
    expect(value(focal({ pred: 'model.logits.c', target: 'data.label', gamma: 0 }), batch, out())).toBeCloseTo(ref['crossEntropy'] as number, 5);
  });

  it('binary cross-entropy from logits and from probabilities = log_loss', () => {
    const x = ref.x as unknown as number[];
    const b = {
      data: { y: ref.t as unknown as number[], x: tensor('float32', [x.length, 1], f32(x)), p: tensor('float32', [x.length], f32(x.map((v) => 1 / (1 + Math.exp(-v))))) },
    };
    expect(value(binaryCrossEntropy({ pred: 'data.x', target: 'data.y' }), b)).toBeCloseTo(ref['binaryCrossEntropy'] as number, 5);
    expect(value(binaryCrossEntropy({ pred: 'data.p', target: 'data.y', fromLogits: false }), b)).toBeCloseTo(ref['binaryCrossEntropy'] as number, 5);
  });

  it('mse = mean_squared_error', () => {
    const b = { data: { t: tensor('float32', [3, 2], f32(ref.target as unknown as number[][])) } };
    expect(value(mse({ pred: 'model.output.r', target: 'data.t' }), b, { 'model.output.r': tf.tensor2d(ref.pred as unknown as number[][]) })).toBeCloseTo(ref['mse'] as number, 6);
  });

  it('dice (FuseMedML BinaryDiceLoss per class) and dense cross-entropy on a 2×3 segmentation', () => {
    const seg = ref.segLogits as unknown as number[][][][];
    const b = { data: { mask: tensor('int32', [2, 2, 3], Int32Array.from((ref.segTarget as unknown as number[][][]).flat(2))) } };
    const o = (): Record<string, tf.Tensor> => ({ 'model.logits.s': tf.tensor4d(seg), 'model.output.s': tf.softmax(tf.tensor4d(seg)) });
    expect(value(dice({ pred: 'model.output.s', target: 'data.mask' }), b, o())).toBeCloseTo(ref['diceForeground'] as number, 5);
    expect(value(dice({ pred: 'model.logits.s', target: 'data.mask', fromLogits: true, classes: [0, 1, 2] }), b, o())).toBeCloseTo(ref['diceAll'] as number, 5);
    expect(value(crossEntropy({ pred: 'model.logits.s', target: 'data.mask' }), b, o())).toBeCloseTo(ref['segCrossEntropy'] as number, 5);
  });

  it('totalLoss sums the weighted terms (LossDefault)', () => {
    const a = crossEntropy({ pred: 'model.logits.c', target: 'data.label', weight: 0.5 });
    const f = focal({ pred: 'model.logits.c', target: 'data.label', weight: 2 });
    const { total, terms } = tf.tidy(() => {
      const r = totalLoss([a, f], batch, out(), {});
      return { total: r.total.dataSync()[0] as number, terms: Object.fromEntries(Object.entries(r.terms).map(([k, v]) => [k, v.dataSync()[0] as number])) };
    });
    expect(total).toBeCloseTo(0.5 * (ref['crossEntropy'] as number) + 2 * (ref['focal'] as number), 5);
    expect(terms['crossEntropy']).toBeCloseTo(ref['crossEntropy'] as number, 5);
  });

  it('names key and shapes when targets do not fit the predictions', () => {
    const bad = { data: { label: [0, 1, 1] } };
    expect(() => value(crossEntropy({ pred: 'model.logits.c', target: 'data.label' }), bad, out())).toThrow(TypeMismatchError);
    expect(() => value(crossEntropy({ pred: 'model.logits.c', target: 'data.label' }), bad, out())).toThrow(/key 'data\.label'.*\[3\].*\[5,3\]/);
    expect(() => value(crossEntropy({ pred: 'model.logits.c', target: 'data.nope' }), batch, out())).toThrow(/missing key 'data\.nope'/);
  });

  it('rejects bad options when built', () => {
    expect(() => crossEntropy({ pred: '', target: 'data.label' })).toThrow(OptionsError);
    expect(() => mse({ pred: 'a', target: 'b', weight: -1 })).toThrow(OptionsError);
    expect(() => focal({ pred: 'a', target: 'b', gamma: -1 })).toThrow(OptionsError);
    expect(() => dice({ pred: 'a', target: 'b', eps: 0 })).toThrow(OptionsError);
  });
});
