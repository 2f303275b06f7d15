/**
 * The GPU path. On a GPU backend (default `webgpu`: tfjs-backend-webgpu on Dawn through the
 * `webgpu` package; `--backend tensorflow` for tfjs-node-gpu), in one process:
 *
 * 1. agreement with the pure-JS cpu backend (the reference: plain loops, no GPU): the fixed CNN
 *    from the same initial weights over the same 5 batches of 8 with Adam, per-step losses and
 *    final weights compared (relative L2 distance); the wasm backend against the same reference
 *    beside it shows how far two CPU backends drift apart in the same steps; then the GPU against
 *    wasm over 20 batches of 64. Then one gradient of
 *    a small 3D ResNet (1×16³, stride-2 stages, batch norm) on each backend, compared the same way
 *    (the wasm backend's own Conv3D gradients are wrong for stride > 1, which fuseflow's kernels
 *    replace; this row checks the GPU's);
 * 2. throughput: the fixed CNN's samples/s at several batch sizes on the GPU vs the wasm backend
 *    with fuseflow's kernels on one CPU thread of the same machine (same run), and a 3D ResNet
 *    training step (2×32³, and 4×64³ on the GPU);
 * 3. a float32 4096² matrix product's rate, to show where the work runs;
 * 4. fuseflow's own `fit` end to end on the GPU backend and on wasm: the fixed CNN bound to sample
 *    keys, 2 epochs over 4,096 in-memory samples in seeded batches of 256, from the same initial
 *    weights; final weights compared and training samples/s through fit's whole loop (batching,
 *    losses, checkpoints).
 *
 * usage: npm run bench -- gpu [--backend webgpu|tensorflow] [--steps 10] [--repeats 3]
 * Where the GPU backend does not load, the table says why and the exit code is 1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { createSample, setKeys, type Sample } from '../src/core/sample.js';
import { tensor as ffTensor } from '../src/core/tensor.js';
import { batch } from '../src/streams/batch.js';
import { dataset } from '../src/streams/dataset.js';
import { fit } from '../src/trainer/fit.js';
import { crossEntropy } from '../src/trainer/losses/cross-entropy.js';
import { dictModel } from '../src/trainer/models/dict-model.js';
import { Rng } from '../src/core/rng.js';
import { useBackend, type BackendName } from '../src/trainer/backend.js';
import { withGpuErrorScope } from '../src/trainer/webgpu-guard.js';
import { buildContext } from '../src/trainer/models/build-context.js';
import { resnet } from '../src/trainer/models/resnet.js';
import { globalPool } from '../src/trainer/heads/global-pool.js';
import { fixedCnn, fixedCnnNet } from './lib/fixed-cnn.js';
import { median, report, timeRuns, type BenchRow } from './lib/report.js';

const argv = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? (argv[i + 1] ?? dflt) : dflt;
};
const GPU = arg('backend', 'webgpu') as BackendName;
const STEPS = Number(arg('steps', '10'));
const REPEATS = Number(arg('repeats', '3'));
/**
 * The agreement runs: against the pure-JS reference, 5 steps of 8 rows (it takes about 0.6 s of
 * CPU per row and step); GPU against wasm, 20 steps of 64.
 */
const AGREE = { cpu: { steps: 5, rows: 8 }, wasm: { steps: 20, rows: 64 } } as const;
const rows: BenchRow[] = [];
const notes: Record<string, unknown> = {};

/** Weights as plain arrays, so that each backend starts from the same values. */
interface HostWeights {
  readonly shape: number[];
  readonly values: Float32Array;
}

/** Reads asynchronously: tfjs's WebGPU backend has no synchronous read in Node (it needs OffscreenCanvas). */
const toHost = async (ts: readonly tf.Tensor[]): Promise<HostWeights[]> => Promise.all(ts.map(async (t) => ({ shape: t.shape.slice(), values: (await t.data()) as Float32Array })));
const toDevice = (ws: readonly HostWeights[]): tf.Tensor[] => ws.map((w) => tf.tensor(w.values, w.shape, 'float32'));

/** ‖a − b‖ / ‖b‖ over every element of every tensor. */
function relativeL2(a: readonly Float32Array[], b: readonly Float32Array[]): number {
  let diff = 0;
  let norm = 0;
  a.forEach((x, i) => {
    const y = b[i] as Float32Array;
    for (let k = 0; k < x.length; k++) {
      diff += ((x[k] as number) - (y[k] as number)) ** 2;
      norm += (y[k] as number) ** 2;
    }
  });
  return Math.sqrt(diff / norm);
}

/** Synthetic batches (inputs in [0, 1), labels 0–9) from the bench's seeded generator. */
function cnnBatches(rng: Rng, steps: number, rows: number): { x: Float32Array; y: Int32Array }[] {
  return Array.from({ length: steps }, () => ({
    x: Float32Array.from({ length: rows * 784 }, () => rng.uniform()),
    y: Int32Array.from({ length: rows }, () => rng.int(0, 10)),
  }));
}

/** The fixed CNN's losses over the given batches and its final weights, on `backend`. */
async function cnnTrajectory(backend: BackendName, start: readonly HostWeights[], batches: readonly { x: Float32Array; y: Int32Array }[]) {
  await useBackend(backend, { log: null });
  const net = fixedCnnNet();
  net.setWeights(toDevice(start));
  const cnn = fixedCnn(1, net);
  const losses: number[] = [];
  for (const b of batches) {
    const x = tf.tensor4d(b.x, [b.y.length, 28, 28, 1]);
    const y = tf.tidy(() => tf.oneHot(tf.tensor1d(b.y, 'int32'), 10));
    losses.push(await cnn.stepOnAsync(x, y));
    tf.dispose([x, y]);
  }
  const weights = (await toHost(net.getWeights())).map((w) => w.values);
  cnn.dispose();
  return { losses, weights };
}

/** A row comparing two trajectories of the fixed CNN. */
function agreementRow(what: string, steps: number, rows: number, got: Awaited<ReturnType<typeof cnnTrajectory>>, ref: Awaited<ReturnType<typeof cnnTrajectory>>): BenchRow {
  const lossErr = Math.max(...got.losses.map((l, i) => Math.abs(l - (ref.losses[i] as number)) / Math.abs(ref.losses[i] as number)));
  return {
    name: `fixed CNN, ${steps} Adam steps of ${rows}, ${what}: weights, relative L2`,
    value: relativeL2(got.weights, ref.weights),
    unit: '',
    note: `largest per-step loss difference ${lossErr.toExponential(2)} relative; final loss ${(ref.losses.at(-1) as number).toFixed(5)} vs ${(got.losses.at(-1) as number).toFixed(5)}`,
  };
}

/** A small 3D ResNet (stride-2 stages, batch norm) on the current backend. */
function resnet3d(size: number, filters: number[]): tf.LayersModel {
  const input = tf.input({ shape: [size, size, size, 1] });
  const ctx = buildContext(7);
  const features = resnet({ dims: 3, filters }).build(input, ctx);
  const logits = tf.layers.dense({ units: 2, kernelInitializer: ctx.glorotUniform() }).apply(globalPool(features, 'avg', ctx, 'pool')) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits });
}

/** One gradient of the small 3D ResNet from the given weights and volume, on `backend`. */
async function resnetGradient(backend: BackendName, start: readonly HostWeights[], volume: Float32Array): Promise<Float32Array[]> {
  await useBackend(backend, { log: null });
  const model = resnet3d(16, [4, 8]);
  model.setWeights(toDevice(start));
  const x = tf.tensor5d(volume, [1, 16, 16, 16, 1]);
  const y = tf.oneHot(tf.tensor1d([1], 'int32'), 2);
  const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(y, model.apply(x, { training: true }) as tf.Tensor));
  const names = model.trainableWeights.map((w) => w.name);
  const out = await Promise.all(names.map(async (n) => (await (grads[n] as tf.Tensor).data()) as Float32Array));
  tf.dispose([x, y, ...Object.values(grads)]);
  model.dispose();
  return out;
}

/** Median samples/s of the fixed CNN at `batch` rows, on the current backend. */
async function cnnRate(batch: number, steps: number, repeats: number): Promise<number> {
  const cnn = fixedCnn(batch);
  for (let i = 0; i < 3; i++) await cnn.stepAsync();
  const runs: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) await cnn.stepAsync();
    runs.push((batch * steps * 1000) / (performance.now() - t0));
  }
  cnn.dispose();
  return median(runs);
}

/** Median ms of one 3D ResNet training step on `n` volumes of `size`³, on the current backend. */
async function resnetStepMs(n: number, size: number, steps: number): Promise<number> {
  const model = resnet3d(size, [8, 16, 32]);
  const opt = tf.train.adam(1e-3);
  const x = tf.randomNormal([n, size, size, size, 1], 0, 1, 'float32', 3);
  const y = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: n }, (_, i) => i % 2),
      'int32',
    ),
    2,
  );
  const step = (): Promise<void> =>
    withGpuErrorScope('3D ResNet step', async () => {
      const cost = opt.minimize(() => tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(y, model.apply(x, { training: true }) as tf.Tensor), true);
      await cost?.data();
      cost?.dispose();
    });
  await step();
  await step();
  const times = await timeRuns(steps, step);
  model.dispose();
  opt.dispose();
  tf.dispose([x, y]);
  return median(times);
}

/** GFLOP/s of a float32 n×n matrix product, the result reduced to a scalar and read back. */
async function matmulGflops(n: number, repeats: number): Promise<number> {
  const a = tf.randomNormal([n, n], 0, 1, 'float32', 4);
  const b = tf.randomNormal([n, n], 0, 1, 'float32', 5);
  const once = (): Promise<void> =>
    withGpuErrorScope('matrix product', async () => {
      const s = tf.tidy(() => tf.sum(tf.matMul(a, b)));
      await s.data();
      s.dispose();
    });
  await once();
  const times = await timeRuns(repeats, once);
  tf.dispose([a, b]);
  return (2 * n ** 3) / (median(times) / 1000) / 1e9;
}

/** fuseflow's fit over in-memory samples on `backend`, from `start`: final weights and samples/s. */
async function fitRun(
  backend: BackendName,
  start: readonly HostWeights[],
  samples: ReadonlyMap<string, Sample>,
  epochs: number,
): Promise<{ weights: Float32Array[]; perS: number; loss: number }> {
  await useBackend(backend, { log: null });
  const net = fixedCnnNet();
  net.setWeights(toDevice(start));
  const model = dictModel(net, { inputs: [{ key: 'data.x', shape: [28, 28, 1] }], outputs: ['model.logits'] });
  const ds = dataset({ ids: [...samples.keys()], source: (id) => samples.get(id) as Sample });
  const dir = mkdtempSync(join(tmpdir(), 'ff-bench-gpu-'));
  try {
    const t0 = performance.now();
    const result = await fit({
      model,
      losses: [crossEntropy({ pred: 'model.logits', target: 'data.label' })],
      train: (at) => batch({ size: 256 })(ds.stream({ epoch: at.epoch, seed: at.seed, window: 512, resume: at })),
      epochs,
      seed: 11,
      dir,
      backend: 'current',
      progress: false,
    });
    const perS = (samples.size * epochs * 1000) / (performance.now() - t0);
    const weights = (await toHost(net.getWeights())).map((w) => w.values);
    const loss = result.history.at(-1)?.train.losses['total'] ?? Number.NaN;
    net.dispose();
    return { weights, perS, loss };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let gpuDetail: string;
try {
  gpuDetail = (await useBackend(GPU, { log: (l) => console.log(l) })).detail ?? GPU;
} catch (err) {
  rows.push({ name: `${GPU} backend`, value: Number.NaN, unit: '', note: `not available: ${(err as Error).message}` });
  report('gpu', rows, notes);
  process.exit(1);
}
notes['gpu'] = gpuDetail;

// 1. agreement with the pure-JS reference
await useBackend('cpu', { log: null });
const rng = Rng.fromParts(['bench.gpu']);
const start = await toHost(fixedCnnNet().getWeights());
const small = cnnBatches(rng, AGREE.cpu.steps, AGREE.cpu.rows);
const ref = await cnnTrajectory('cpu', start, small);
for (const backend of [GPU, 'wasm'] as const)
  rows.push(agreementRow(`${backend} vs cpu (pure JS)`, AGREE.cpu.steps, AGREE.cpu.rows, await cnnTrajectory(backend, start, small), ref));
const large = cnnBatches(rng, AGREE.wasm.steps, AGREE.wasm.rows);
rows.push(agreementRow(`${GPU} vs wasm`, AGREE.wasm.steps, AGREE.wasm.rows, await cnnTrajectory(GPU, start, large), await cnnTrajectory('wasm', start, large)));
await useBackend('cpu', { log: null });
const resStart = await toHost(resnet3d(16, [4, 8]).getWeights());
const volume = Float32Array.from({ length: 16 ** 3 }, () => rng.normal());
const resRef = await resnetGradient('cpu', resStart, volume);
for (const backend of [GPU, 'wasm'] as const) {
  const got = await resnetGradient(backend, resStart, volume);
  rows.push({ name: `3D ResNet (1×16³, stride-2 stages, batch norm) gradient, ${backend} vs cpu: relative L2`, value: relativeL2(got, resRef), unit: '' });
}

// 2. throughput, GPU and wasm (one CPU thread) in the same run
const wasmRates = new Map<number, number>();
await useBackend('wasm', { log: null });
for (const b of [64, 256]) wasmRates.set(b, await cnnRate(b, STEPS, REPEATS));
const wasm3d = await resnetStepMs(2, 32, 3);
await useBackend(GPU, { log: null });
for (const b of [64, 256, 1024, 4096]) {
  const rate = await cnnRate(b, STEPS, REPEATS);
  const wasmRate = wasmRates.get(b);
  rows.push({
    name: `fixed CNN training, batch ${b}, ${GPU}`,
    value: rate,
    unit: 'samples/s',
    ...(wasmRate === undefined ? {} : { ratio: rate / wasmRate, ratioOf: 'vs wasm, 1 CPU thread' }),
    note: wasmRate === undefined ? '' : `wasm + fuseflow kernels, 1 thread, same run: ${wasmRate.toFixed(0)} samples/s`,
  });
}
const gpu3d = await resnetStepMs(2, 32, STEPS);
rows.push({
  name: `3D ResNet step (2×32³, [8,16,32]), ${GPU}`,
  value: gpu3d,
  unit: 'ms/step',
  ratio: wasm3d / gpu3d,
  ratioOf: 'speed-up vs wasm',
  note: `wasm 1 thread, same run: ${wasm3d.toFixed(0)} ms/step`,
});
rows.push({ name: `3D ResNet step (4×64³, [8,16,32]), ${GPU}`, value: await resnetStepMs(4, 64, STEPS), unit: 'ms/step' });

// 3. where the work runs
rows.push({ name: `matrix product 4096² float32, ${GPU}`, value: await matmulGflops(4096, REPEATS + 2), unit: 'GFLOP/s' });
await useBackend('wasm', { log: null });
rows.push({ name: 'matrix product 1024² float32, wasm (1 thread)', value: await matmulGflops(1024, REPEATS), unit: 'GFLOP/s' });

// 4. fit end to end
await useBackend('cpu', { log: null });
const fitSamples = new Map<string, Sample>();
for (let i = 0; i < 4096; i++) {
  const id = `s${i}`;
  const x = Float32Array.from({ length: 784 }, () => rng.uniform());
  fitSamples.set(id, setKeys(createSample(id), { 'data.x': ffTensor('float32', [28, 28, 1], x), 'data.label': rng.int(0, 10) }));
}
const fitStart = await toHost(fixedCnnNet().getWeights());
const fitGpu = await fitRun(GPU, fitStart, fitSamples, 2);
const fitWasm = await fitRun('wasm', fitStart, fitSamples, 2);
rows.push({
  name: `fit, fixed CNN, 2 epochs of 4,096 samples in batches of 256, ${GPU}`,
  value: fitGpu.perS,
  unit: 'samples/s',
  ratio: fitGpu.perS / fitWasm.perS,
  ratioOf: 'vs wasm, 1 CPU thread',
  note: `wasm ${fitWasm.perS.toFixed(0)} samples/s; final weights ${GPU} vs wasm relative L2 ${relativeL2(fitGpu.weights, fitWasm.weights).toExponential(2)}; last epoch's mean loss ${fitGpu.loss.toFixed(5)} vs ${fitWasm.loss.toFixed(5)}`,
});

report('gpu', rows, notes);
