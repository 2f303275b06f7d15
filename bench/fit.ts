/**
 * bench/fit: what the fit loop costs on top of bare training steps, on the breast-cancer table
 * (real data, in test/fixtures). Baseline: the same MLP, optimizer and batches as pre-built
 * tensors stepped in a bare loop (forward, loss, gradients, Adam) — measured in the same run on
 * the same backend. Measured: `fit` pulling collated batches from a dataset stream, with
 * validation off and on, and with a checkpoint after every step; plus the time to write one
 * checkpoint of the MLP and of the small 3D U-Net.
 *
 * usage: npm run bench -- fit [--epochs 4] [--repeats 3] [--backend wasm|cpu]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { createSample, setKeys, type Sample } from '../src/core/sample.js';
import { tensor } from '../src/core/tensor.js';
import { batch } from '../src/streams/batch.js';
import { dataset } from '../src/streams/dataset.js';
import { useBackend, type BackendName } from '../src/trainer/backend.js';
import { saveCheckpoint } from '../src/trainer/checkpoint.js';
import { fit } from '../src/trainer/fit.js';
import { classificationHead } from '../src/trainer/heads/classification-head.js';
import { segmentationHead } from '../src/trainer/heads/segmentation-head.js';
import { crossEntropy } from '../src/trainer/losses/cross-entropy.js';
import { totalLoss } from '../src/trainer/losses/loss.js';
import { mlp } from '../src/trainer/models/mlp.js';
import { multiHeadModel } from '../src/trainer/models/multi-head-model.js';
import { unet3d } from '../src/trainer/models/unet3d.js';
import { createOptimizer } from '../src/trainer/optim/optimizer.js';
import { median, report, timeRuns, type BenchRow } from './lib/report.js';

const argv = process.argv.slice(2);
const opt = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? (argv[i + 1] ?? fallback) : fallback;
};
const epochs = Number(opt('epochs', '4'));
const repeats = Number(opt('repeats', '3'));
const backend = await useBackend(opt('backend', 'wasm') as BackendName);

const CSV = fileURLToPath(new URL('../test/fixtures/tabular/breast_cancer.csv', import.meta.url));
const rows = readFileSync(CSV, 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => l.split(',').map(Number));
const ids = rows.map((_, i) => `bc-${i}`);
const samples = new Map<string, Sample>(
  rows.map((r, i) => [
    ids[i] as string,
    setKeys(createSample(ids[i] as string), {
      'data.features': tensor(
        'float32',
        [30],
        Float32Array.from(r.slice(0, 30), (v, j) => v / (j % 10 === 3 ? 1000 : 100)),
      ),
      'data.label': r[30],
    }),
  ]),
);
const size = 32;
const build = () => multiHeadModel({ inputs: [{ key: 'data.features', shape: [30] }], backbone: mlp({ layers: [32, 16] }), heads: [classificationHead({ name: 'cls' })], seed: 1 });
const ce = crossEntropy({ pred: 'model.logits.cls', target: 'data.label' });
const ds = dataset({ ids, source: (id) => samples.get(id) as Sample });
const stepsPerEpoch = Math.ceil(ids.length / size);
const samplesRun = epochs * ids.length;

// Baseline: pre-collated batches, bare loop.
const collated: Sample[] = [];
for await (const b of batch({ size })(ds.stream({ shuffle: false }))) collated.push(b);
function bare(): void {
  const model = build();
  const vars = model.trainableVariables();
  const o = createOptimizer({ type: 'adam' }, vars);
  for (let e = 0; e < epochs; e++) {
    for (const b of collated) {
      const { value, grads } = tf.variableGrads(() => totalLoss([ce], b, model.forward(b, { training: true }), {}).total, vars);
      value.dataSync();
      o.apply(
        vars.map((v) => grads[v.name] as tf.Tensor),
        1e-3,
      );
      tf.dispose([value, ...Object.values(grads)]);
    }
  }
  o.dispose();
  model.net.dispose();
}
async function viaFit(options: { validation: boolean; everyStep: boolean }): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ff-bench-fit-'));
  const model = build();
  await fit({
    model,
    losses: [ce],
    train: (at) => batch({ size })(ds.stream({ epoch: at.epoch, seed: at.seed, resume: at, window: 2 * size })),
    ...(options.validation ? { validation: () => batch({ size: 128 })(ds.stream({ shuffle: false, window: 256 })) } : {}),
    epochs,
    dir,
    checkpointEverySteps: options.everyStep ? 1 : 0,
    backend: 'current',
    progress: false,
  });
  model.net.dispose();
  rmSync(dir, { recursive: true, force: true });
}

bare();
const bareMs = median(await timeRuns(repeats, bare));
const fitMs = median(await timeRuns(repeats, () => viaFit({ validation: false, everyStep: false })));
const fitValMs = median(await timeRuns(repeats, () => viaFit({ validation: true, everyStep: false })));
const fitCkptMs = median(await timeRuns(repeats, () => viaFit({ validation: false, everyStep: true })));
const rate = (ms: number): number => samplesRun / (ms / 1000);

const ckptDir = mkdtempSync(join(tmpdir(), 'ff-bench-ckpt-'));
const mlpModel = build();
const mlpCkptMs = median(await timeRuns(5, () => saveCheckpoint(join(ckptDir, 'mlp.ckpt'), { model: mlpModel, trainState: {} })));
const unet = multiHeadModel({ inputs: [{ key: 'x', shape: [8, 16, 16, 1] }], backbone: unet3d({ baseFilters: 4 }), heads: [segmentationHead()], seed: 1 });
const unetCkptMs = median(await timeRuns(5, () => saveCheckpoint(join(ckptDir, 'unet.ckpt'), { model: unet, trainState: {} })));
rmSync(ckptDir, { recursive: true, force: true });

const rows_: BenchRow[] = [
  { name: `bare loop (${epochs} epochs × ${stepsPerEpoch} steps, MLP 30→32→16→2, batch ${size})`, value: rate(bareMs), unit: 'samples/s' },
  { name: 'fit, stream + collate, no validation', value: rate(fitMs), unit: 'samples/s', ratio: bareMs / fitMs, ratioOf: 'of bare' },
  { name: 'fit, + validation on 569 rows each epoch', value: rate(fitValMs), unit: 'samples/s', ratio: bareMs / fitValMs, ratioOf: 'of bare' },
  { name: 'fit, + last.ckpt after every step', value: rate(fitCkptMs), unit: 'samples/s', ratio: bareMs / fitCkptMs, ratioOf: 'of bare' },
  { name: 'write one checkpoint, MLP (atomic: temp + fsync + rename)', value: mlpCkptMs, unit: 'ms' },
  { name: 'write one checkpoint, 3D U-Net (base 4, 3 levels)', value: unetCkptMs, unit: 'ms' },
];
report('fit', rows_, { backend: backend.summary, epochs, repeats });
