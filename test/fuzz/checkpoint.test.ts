/**
 * Fuzz: a small real checkpoint (a tiny MLP with Adam slots and a train state), cut at random
 * offsets or with one random bit flipped, read back with `readCheckpoint`: each case returns
 * exactly the undamaged content or throws an `InputError` naming the file — never another error,
 * a crash, or weights that differ.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { readCheckpoint, saveCheckpoint, type Checkpoint } from '../../src/trainer/checkpoint.js';
import { classificationHead } from '../../src/trainer/heads/classification-head.js';
import { mlp } from '../../src/trainer/models/mlp.js';
import { multiHeadModel } from '../../src/trainer/models/multi-head-model.js';
import { createOptimizer } from '../../src/trainer/optim/optimizer.js';
import { applyDamage, damageOf, exactOrInputError, fuzzParams, FuzzTally } from './fuzz-kit.js';

const dir = mkdtempSync(join(tmpdir(), 'ff-fuzz-ckpt-'));
let bytes: Uint8Array;
let original: Checkpoint;

beforeAll(async () => {
  await tf.setBackend('cpu');
  const model = multiHeadModel({ inputs: [{ key: 'data.x', shape: [3] }], backbone: mlp({ layers: [4] }), heads: [classificationHead({ name: 'cls', numClasses: 2 })], seed: 1 });
  const vars = model.trainableVariables();
  const opt = createOptimizer({ type: 'adam' }, vars);
  const grads = vars.map((v) => tf.onesLike(v));
  opt.apply(grads, 0.01);
  tf.dispose(grads);
  const path = join(dir, 'good.ckpt');
  await saveCheckpoint(path, { model, optimizer: await opt.state(), trainState: { loop: { epoch: 1, position: 8, step: 3 }, seed: 7, config: { lr: 0.003 } } });
  opt.dispose();
  // A plain Uint8Array copy: `Buffer#slice` is a view, so damaging a Buffer would alter `bytes` itself.
  bytes = new Uint8Array(readFileSync(path));
  original = readCheckpoint(path);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fuzz: damaged checkpoints', () => {
  it('a cut or one flipped bit: exactly the original content, or an InputError naming the file', async () => {
    const tally = new FuzzTally('checkpoint (truncation, bit flip)');
    let n = 0;
    await fc.assert(
      fc.asyncProperty(damageOf(bytes.length), async (damage) => {
        const file = join(dir, `case-${n++}.ckpt`);
        writeFileSync(file, applyDamage(bytes, damage));
        await exactOrInputError(tally, file, original, () => readCheckpoint(file));
        rmSync(file);
      }),
      fuzzParams(300),
    );
    tally.report();
    expect(tally.exact + tally.refused).toBeGreaterThanOrEqual(300);
  });

  it('damage behind a recomputed checksum (a forged or buggy writer): the parser returns or throws an InputError naming the file, never another error', () => {
    const tally = new FuzzTally('checkpoint with a re-sealed checksum (parser robustness; "exact" here = parsed without error)');
    const body = bytes.subarray(0, bytes.length - 32);
    let n = 0;
    fc.assert(
      fc.property(damageOf(body.length), (damage) => {
        const damaged = applyDamage(body, damage);
        const file = join(dir, `sealed-${n++}.ckpt`);
        writeFileSync(file, Buffer.concat([damaged, createHash('sha256').update(damaged).digest()]));
        try {
          readCheckpoint(file);
          tally.exact++;
        } catch (err) {
          if (!(err instanceof InputError)) throw new Error(`expected an InputError naming ${file}, got ${String(err)}`, { cause: err });
          expect(err.message).toContain(file);
          tally.refused++;
        }
        rmSync(file);
      }),
      fuzzParams(300),
    );
    tally.report();
  });
});
