/**
 * bench/predict: sliding-window inference over a whole 181×217×181 volume (the MNI ch2 template
 * from ../shared/data/volumes; a synthetic volume of that size when it is absent) with the demo's
 * 3D U-Net (baseFilters 4, 3 levels, 2-class segmentation head; untrained — timing only) on the
 * wasm backend: 64³ windows, overlap 0.5, batch 4, Gaussian blend. The same volume is predicted
 * `--volumes` times (default 2) to show that peak memory is set by one volume, not by how many.
 *
 * Memory bound (see src/trainer/inference/sliding-window.ts): float64 accumulators 8·N·(C+1),
 * float32 result 4·N·C, importance map 4·R, windows in flight 4·B·R·(Cin+C) bytes, for N volume
 * voxels, R window voxels, B windows per batch, Cin = 1, C = 2 — plus the model's own tensors
 * for B windows (tfjs/wasm heap), measured here as the rest of the peak.
 *
 * usage: npm run bench -- predict [--volumes 2] [--batch 4] [--overlap 0.5] [--backend wasm|cpu]
 */
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { createImage, type Image } from '../src/core/image.js';
import { readImageLocal } from '../src/ops/image/io/read-image-local.js';
import { useBackend, type BackendName } from '../src/trainer/backend.js';
import { segmentationHead } from '../src/trainer/heads/segmentation-head.js';
import { dictModelPredictor } from '../src/trainer/inference/model-predictor.js';
import { slidingWindow } from '../src/trainer/inference/sliding-window.js';
import { windowGrid } from '../src/trainer/inference/window-grid.js';
import { multiHeadModel } from '../src/trainer/models/multi-head-model.js';
import { unet3d } from '../src/trainer/models/unet3d.js';
import { report, type BenchRow } from './lib/report.js';

const argv = process.argv.slice(2);
const opt = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? (argv[i + 1] ?? fallback) : fallback;
};
const volumes = Number(opt('volumes', '2'));
const batchSize = Number(opt('batch', '4'));
const overlap = Number(opt('overlap', '0.5'));
const backend = opt('backend', 'wasm') as BackendName;
const ROI = [64, 64, 64];
const MB = 2 ** 20;

const folder = new URL('../../shared/data/volumes/', import.meta.url).pathname;
async function load(): Promise<{ img: Image; source: string }> {
  if (existsSync(`${folder}ch2.nii.gz`)) return { img: await readImageLocal(`${folder}ch2.nii.gz`), source: 'ch2.nii.gz' };
  const size = [181, 217, 181];
  const n = size.reduce((a, b) => a * b, 1);
  return {
    img: createImage(
      'float32',
      size,
      Float32Array.from({ length: n }, (_, i) => ((i * 2654435761) % 4096) / 4096),
    ),
    source: 'synthetic 181x217x181',
  };
}

const choice = await useBackend(backend, { log: null });
const { img, source } = await load();
const size = [...img.shape].reverse();
const model = multiHeadModel({
  inputs: [{ key: 'data.input.img', shape: [...[...ROI].reverse(), 1] }],
  backbone: unet3d({ baseFilters: 4, levels: 3 }),
  heads: [segmentationHead({ name: 'brain', numClasses: 2 })],
  seed: 0,
});
const predictor = dictModelPredictor(model, { output: 'model.output.brain' });
// one warm-up batch (kernel compilation, first allocations) outside the timing
await predictor({ dtype: 'float32', shape: [batchSize, 64, 64, 64, 1], data: new Float32Array(batchSize * 64 ** 3) });

const N = size.reduce((a, b) => a * b, 1);
const R = ROI.reduce((a, b) => a * b, 1);
const C = 2;
const formula = 8 * N * (C + 1) + 4 * N * C + 4 * R + 4 * batchSize * R * (1 + C);
const windows = windowGrid(size, ROI, overlap).starts.length;
const rssMB = (): number => process.memoryUsage().rss / MB;
const peakMB = (): number => process.resourceUsage().maxRSS / 1024;
const baseline = rssMB();
const basePeak = peakMB();
const seconds: number[] = [];
const peaks: number[] = [];
for (let v = 0; v < volumes; v++) {
  const t0 = performance.now();
  const out = await slidingWindow(img, predictor, { roi: ROI, overlap, blend: 'gaussian', batchSize });
  seconds.push((performance.now() - t0) / 1000);
  peaks.push(peakMB());
  if (out.components !== C) throw new Error(`expected ${C} channels`);
}
const wasmHeapMB = (tf.memory() as { numBytesInGPU?: number; numBytes: number }).numBytes / MB;
model.net.dispose();

const rows: BenchRow[] = [
  { name: 'sliding window, whole volume', value: seconds[0] as number, unit: 's', note: `${windows} windows of 64³, batch ${batchSize}, overlap ${overlap}, gaussian` },
  ...seconds.slice(1).map((s, i): BenchRow => ({ name: `  again (volume ${i + 2})`, value: s, unit: 's' })),
  { name: 'per window', value: ((seconds[0] as number) * 1000) / windows, unit: 'ms' },
  { name: 'stated bound (accumulators + result + windows in flight)', value: formula / MB, unit: 'MB', note: '8N(C+1) + 4NC + 4R + 4BR(1+C)' },
  { name: 'RSS before (model, volume, warm-up batch)', value: baseline, unit: 'MB' },
  {
    name: 'peak RSS growth, first volume',
    value: (peaks[0] as number) - Math.max(basePeak, baseline),
    unit: 'MB',
    ratio: ((peaks[0] as number) - Math.max(basePeak, baseline)) / (formula / MB),
    ratioOf: 'x stated bound',
    note: 'the rest: tfjs tensors of B windows, GC slack',
  },
  { name: `peak RSS after ${volumes} volumes`, value: peaks[peaks.length - 1] as number, unit: 'MB' },
  {
    name: `peak RSS growth, volume 1 → ${volumes}`,
    value: (peaks[peaks.length - 1] as number) - (peaks[0] as number),
    unit: 'MB',
    bar: '< stated bound',
    pass: (peaks[peaks.length - 1] as number) - (peaks[0] as number) < formula / MB,
    note: 'memory that grew with the volume count would add ≥ the bound per volume',
  },
];
report('predict', rows, { source, size, backend: choice.summary, windows, batchSize, overlap, wasmTensorMB: wasmHeapMB });
