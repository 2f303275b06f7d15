/**
 * Child process for the kill-and-resume test: trains the breast-cancer MLP (with batch norm and seeded dropout) on the
 * given backend, checkpointing every step, printing `step <n>` after each, and writes the final
 * weights to `<dir>/final.bin`. Usage: node --import tsx resume-child.ts <dir> run|resume [cpu|wasm]
 */
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { useBackend } from '../../../src/trainer/backend.js';
import { fit } from '../../../src/trainer/fit.js';
import { crossEntropy } from '../../../src/trainer/losses/cross-entropy.js';
import { tabularModel, trainBatches } from './tabular.js';

const [dir, mode, backend = 'cpu'] = process.argv.slice(2) as [string, string, string | undefined];
await useBackend(backend as 'cpu' | 'wasm', { log: null });
process.stdout.write(`backend ${tf.getBackend()}\n`);
const model = tabularModel(11, true, 0.2);
const result = await fit({
  model,
  losses: [crossEntropy({ pred: 'model.logits.cls', target: 'data.label' })],
  train: trainBatches(200, 16),
  epochs: 3,
  seed: 99,
  dir,
  schedule: { type: 'cosine', lr: 0.01, totalSteps: 39, warmupSteps: 4 },
  clipNorm: 1,
  checkpointEverySteps: 1,
  resume: mode === 'resume',
  progress: false,
  backend: 'current',
  onStep: ({ step }) => process.stdout.write(`step ${step}\n`),
});
const parts = await Promise.all(model.net.getWeights().map(async (w) => Buffer.from(((await w.data()) as Float32Array).buffer)));
writeFileSync(join(dir, 'final.bin'), Buffer.concat(parts));
process.stdout.write(`done resumed=${JSON.stringify(result.resumedFrom)}\n`);
