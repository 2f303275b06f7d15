import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { OptionsError } from '../../../src/core/errors.js';
import { setKeys } from '../../../src/core/sample.js';
import { tensor } from '../../../src/core/tensor.js';
import { binaryCrossEntropy } from '../../../src/trainer/losses/binary-cross-entropy.js';
import { crossEntropy } from '../../../src/trainer/losses/cross-entropy.js';
import { dice } from '../../../src/trainer/losses/dice.js';
import { focal } from '../../../src/trainer/losses/focal.js';
import type { Loss } from '../../../src/trainer/losses/loss.js';
import { mse } from '../../../src/trainer/losses/mse.js';
import { lossFromSpec, lossSpecs } from '../../../src/trainer/parallel/loss-from-spec.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Four rows: 3-class logits, class targets, a binary score and a real target. */
const batch = setKeys(
  {},
  {
    'model.logits': tensor('float32', [4, 3], Float32Array.from([2, 0.5, -1, 0.1, 1.2, 0.3, -0.7, 0.2, 1.9, 0.4, 0.4, 0.4])),
    'data.label': [0, 1, 2, 1],
    'model.score': tensor('float32', [4], Float32Array.from([0.3, -1.2, 2.1, 0.05])),
    'data.event': [1, 0, 1, 0],
  },
);

function value(loss: Loss): number {
  return tf.tidy(() => loss.compute(batch, {}, {}).dataSync()[0] as number);
}

describe('lossFromSpec (built-in losses rebuilt on a replica)', () => {
  const losses: Loss[] = [
    crossEntropy({ pred: 'model.logits', target: 'data.label', classWeights: [1, 2, 0.5], name: 'ce', weight: 0.7 }),
    focal({ pred: 'model.logits', target: 'data.label', gamma: 1.5, alpha: [0.2, 0.3, 0.5] }),
    dice({ pred: 'model.logits', target: 'data.label', fromLogits: true, classes: [1, 2] }),
    binaryCrossEntropy({ pred: 'model.score', target: 'data.event', posWeight: 3 }),
    mse({ pred: 'model.score', target: 'data.event' }),
  ];

  it('rebuilds each built-in loss from its spec after a structured clone (as a worker receives it): same name, keys, weight and value', () => {
    for (const loss of losses) {
      const again = lossFromSpec(structuredClone(lossSpecs([loss])[0]!));
      expect({ name: again.name, pred: again.pred, target: again.target, weight: again.weight }).toEqual({
        name: loss.name,
        pred: loss.pred,
        target: loss.target,
        weight: loss.weight,
      });
      expect(Number.isFinite(value(loss))).toBe(true);
      expect(value(again)).toBe(value(loss));
    }
  });

  it('refuses a hand-written loss (no spec) naming it, and an unknown kind', () => {
    const own: Loss = { name: 'mine', weight: 1, pred: 'model.score', target: 'data.event', compute: () => tf.scalar(0) };
    expect(() => lossSpecs([own])).toThrow(/loss 'mine' is hand-written/);
    expect(() => lossFromSpec({ kind: 'hinge', options: { pred: 'a', target: 'b' } })).toThrow(OptionsError);
  });
});
