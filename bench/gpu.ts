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
 * 3. a float32 4096² matrix product's rate, to show where the work runs.
 *
 * usage: npm run bench -- gpu [--backend webgpu|tensorflow] [--steps 10] [--repeats 3]
 * Where the GPU backend does not load, the table says why and the exit code is 1.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../src/core/rng.js';
import { useBackend, type BackendName } from '../src/trainer/backend.js';
import { buildContext } from '../src/trainer/models/build-context.js';
import { resnet } from '../src/trainer/models/resnet.js';
import { globalPool } from '../src/trainer/heads/global-pool.js';
import { fixedCnn, fixedCnnNet } from './lib/fixed-cnn.js';
import { median, report, type BenchRow } from './lib/report.js';

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

const toHost = (ts: readonly tf.Tensor[]): HostWeights[] => ts.map((t) => ({ shape: t.shape.slice(), values: t.dataSync() as Float32Array }));
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
    losses.push(cnn.stepOn(x, y));
    tf.dispose([x, y]);
  }
  const weights = toHost(net.getWeights()).map((w) => w.values);
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
  const out = names.map((n) => (grads[n] as tf.Tensor).dataSync() as Float32Array);
  tf.dispose([x, y, ...Object.values(grads)]);
  model.dispose();
  return out;
}

/** Median samples/s of the fixed CNN at `batch` rows, on the current backend. */
function cnnRate(batch: number, steps: number, repeats: number): number {
  const cnn = fixedCnn(batch);
  for (let i = 0; i < 3; i++) cnn.step();
  const runs: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) cnn.step();
    runs.push((batch * steps * 1000) / (performance.now() - t0));
  }
  cnn.dispose();
  return median(runs);
}

/** Median ms of one 3D ResNet training step on `n` volumes of `size`³, on the current backend. */
function resnetStepMs(n: number, size: number, steps: number): number {
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
  const step = (): void => {
    const cost = opt.minimize(() => tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(y, model.apply(x, { training: true }) as tf.Tensor), true);
    cost?.dataSync();
    cost?.dispose();
  };
  step();
  step();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    step();
    times.push(performance.now() - t0);
  }
  model.dispose();
  opt.dispose();
  tf.dispose([x, y]);
  return median(times);
}

/** GFLOP/s of a float32 n×n matrix product, the result reduced to a scalar and read back. */
function matmulGflops(n: number, repeats: number): number {
  const a = tf.randomNormal([n, n], 0, 1, 'float32', 4);
  const b = tf.randomNormal([n, n], 0, 1, 'float32', 5);
  const once = (): void => void tf.tidy(() => tf.sum(tf.matMul(a, b))).dataSync();
  once();
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    once();
    times.push(performance.now() - t0);
  }
  tf.dispose([a, b]);
  return (2 * n ** 3) / (median(times) / 1000) / 1e9;
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
const start = toHost(fixedCnnNet().getWeights());
const small = cnnBatches(rng, AGREE.cpu.steps, AGREE.cpu.rows);
const ref = await cnnTrajectory('cpu', start, small);
for (const backend of [GPU, 'wasm'] as const)
  rows.push(agreementRow(`${backend} vs cpu (pure JS)`, AGREE.cpu.steps, AGREE.cpu.rows, await cnnTrajectory(backend, start, small), ref));
const large = cnnBatches(rng, AGREE.wasm.steps, AGREE.wasm.rows);
rows.push(agreementRow(`${GPU} vs wasm`, AGREE.wasm.steps, AGREE.wasm.rows, await cnnTrajectory(GPU, start, large), await cnnTrajectory('wasm', start, large)));
await useBackend('cpu', { log: null });
const resStart = toHost(resnet3d(16, [4, 8]).getWeights());
const volume = Float32Array.from({ length: 16 ** 3 }, () => rng.normal());
const resRef = await resnetGradient('cpu', resStart, volume);
for (const backend of [GPU, 'wasm'] as const) {
  const got = await resnetGradient(backend, resStart, volume);
  rows.push({ name: `3D ResNet (1×16³, stride-2 stages, batch norm) gradient, ${backend} vs cpu: relative L2`, value: relativeL2(got, resRef), unit: '' });
}

// 2. throughput, GPU and wasm (one CPU thread) in the same run
const wasmRates = new Map<number, number>();
await useBackend('wasm', { log: null });
for (const b of [64, 256]) wasmRates.set(b, cnnRate(b, STEPS, REPEATS));
const wasm3d = resnetStepMs(2, 32, 3);
await useBackend(GPU, { log: null });
for (const b of [64, 256, 1024, 4096]) {
  const rate = cnnRate(b, STEPS, REPEATS);
  const wasmRate = wasmRates.get(b);
  rows.push({
    name: `fixed CNN training, batch ${b}, ${GPU}`,
    value: rate,
    unit: 'samples/s',
    ...(wasmRate === undefined ? {} : { ratio: rate / wasmRate, ratioOf: 'vs wasm, 1 CPU thread' }),
    note: wasmRate === undefined ? '' : `wasm + fuseflow kernels, 1 thread, same run: ${wasmRate.toFixed(0)} samples/s`,
  });
}
const gpu3d = resnetStepMs(2, 32, STEPS);
rows.push({
  name: `3D ResNet step (2×32³, [8,16,32]), ${GPU}`,
  value: gpu3d,
  unit: 'ms/step',
  ratio: wasm3d / gpu3d,
  ratioOf: 'speed-up vs wasm',
  note: `wasm 1 thread, same run: ${wasm3d.toFixed(0)} ms/step`,
});
rows.push({ name: `3D ResNet step (4×64³, [8,16,32]), ${GPU}`, value: resnetStepMs(4, 64, STEPS), unit: 'ms/step' });

// 3. where the work runs
rows.push({ name: `matrix product 4096² float32, ${GPU}`, value: matmulGflops(4096, REPEATS + 2), unit: 'GFLOP/s' });
await useBackend('wasm', { log: null });
rows.push({ name: 'matrix product 1024² float32, wasm (1 thread)', value: matmulGflops(1024, REPEATS), unit: 'GFLOP/s' });

report('gpu', rows, notes);
