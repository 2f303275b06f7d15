/**
 * Trainer throughput. The fixed CNN of issue 6 (28×28×1 → conv 3×3 32 → pool → conv 3×3 64 →
 * pool → dense 128 → 10, batch 64, Adam 1e-3, softmax cross-entropy) on every backend that is
 * available — wasm with tfjs's own kernels only (it cannot train), wasm with fuseflow's kernels,
 * pure JS (a few steps), native TensorFlow when tfjs-node loads — and the same model in PyTorch
 * on the CPU (Debian's python3-torch, 2 threads) measured in the same run for the ratio; then
 * one training step of a 3D ResNet (fuseflow's resnet backbone, 32³ volumes); data-parallel rows
 * (issue 10 §1: the fixed CNN and the 3D ResNet on 2 compute threads — this thread and a replica
 * on a worker thread, as fit({ threads: 2 }) — vs 1 thread in the same harness and vs PyTorch on 2 threads, next to a
 * same-run calibration: a pure busy loop on 1 vs 2 threads, and the fixed CNN's machine ceiling:
 * two independent one-thread processes of 32 rows at once vs one of 64); then the data-wait
 * share of the fixed CNN fed by the full pipeline: Fashion-MNIST images (a non-medical stand-in,
 * ../shared/data/images2d) → static z-score cached in LMDB → random flip + noise on 2 worker
 * threads → batches of 64 → the wasm training step (and, as a diagnostic, the same pipeline with
 * the step replaced by a 50 ms timer, which leaves the main thread free: the pipeline's own
 * pull-path latency).
 *
 * usage: npm run bench -- trainer [--steps 10] [--repeats 5] [--cpu-3d]
 *   --cpu-3d also times the 3D ResNet step on the pure-JS backend (tens of seconds per step).
 *   --pipeline-only runs only the data-wait part; --pipeline-batches N (default 30) sets its length.
 *   --parallel-only runs only the data-parallel rows (calibration, PyTorch 2 threads, 1 vs 2 compute threads);
 *   --warm N: warm-up steps per data-parallel stepper (default 100).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { openSampleCache } from '../src/cache/open-cache.js';
import { createImage } from '../src/core/image.js';
import { createSample, getKey, setKeys, type Sample } from '../src/core/sample.js';
import type { Tensor as FfTensor } from '../src/core/tensor.js';
import { randFlip } from '../src/ops/image/rand-flip.js';
import { randGaussianNoise } from '../src/ops/image/rand-gaussian-noise.js';
import { zScoreIntensity } from '../src/ops/image/z-score-intensity.js';
import { pipeline, pipelineSpec } from '../src/ops/pipeline.js';
import { batch } from '../src/streams/batch.js';
import { dataset } from '../src/streams/dataset.js';
import { createWorkerRunner } from '../src/workers/worker-runner.js';
import { createBatchRunner } from '../src/streams/batch-runner.js';
import { batchedDataset } from '../src/streams/batched-dataset.js';
import { useBackend, wasmBinaryFolder } from '../src/trainer/backend.js';
import { registerFuseflowKernels } from '../src/trainer/kernels/index.js';
import { setSimdKernelsEnabled } from '../src/trainer/kernels/simd-kernels.js';
import { globalPool } from '../src/trainer/heads/global-pool.js';
import { buildContext } from '../src/trainer/models/build-context.js';
import { resnet } from '../src/trainer/models/resnet.js';
import { fixedCnn as fixedCnnOf, fixedCnnNet } from './lib/fixed-cnn.js';
import { median, report, type BenchRow } from './lib/report.js';
import { busyLoopScaling, msPerStep, soloStepping, stepper, type StepPhases } from './lib/parallel-step.js';
import { workerEntry } from '../src/core/workers.js';
import { Rng } from '../src/core/rng.js';
import { tensor as ffTensor } from '../src/core/tensor.js';
import { crossEntropy } from '../src/trainer/losses/cross-entropy.js';
import { dictModel, type DictModel } from '../src/trainer/models/dict-model.js';

const argv = process.argv.slice(2);
const flag = (name: string, dflt: number): number => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const STEPS = flag('steps', 10);
const REPEATS = flag('repeats', 5);
const CPU_3D = argv.includes('--cpu-3d');
const PIPELINE_ONLY = argv.includes('--pipeline-only');
const PARALLEL_ONLY = argv.includes('--parallel-only');
/**
 * Warm-up steps of each data-parallel stepper before timing (the 3D ResNet's: a tenth, at least 2).
 * V8 keeps compiling tfjs's code on its helper threads, once per isolate (each replica compiles
 * its own): on 2 busy cores those compiles take time from the replicas, while a 1-thread run
 * leaves them the idle core, so timing too early charges warm-up to the 2-thread rows (fixed CNN,
 * 2 threads: process CPU 93.8 ms a step after 10 steps, of which ~7 ms on V8's helper threads;
 * 77.7 ms after 150). Most of it is over by step 100, but not all: `--trace-opt` counted 163
 * TurboFan compiles in steps 0–99, then 68, 73, 42, 42, 36, 47, 31, 28, 23 per 100 steps up to
 * step 1,000 (tfjs-layers' functions reaching V8's threshold one by one, 7–10 ms each); after
 * 1,200 steps the helpers used 0.2 ms a step, after 150 about 2.5. `--warm 1000` times that
 * steady state (2026-12-04: 1.54× against 1.49× with 100 in the run before; the machine's own
 * variation is larger than the difference).
 */
const PARALLEL_WARM = flag('warm', 100);
const BATCH = 64;
const fixedCnn = (): ReturnType<typeof fixedCnnOf> => fixedCnnOf(BATCH);
/** The Python with torch: Debian's by default; FUSEFLOW_BENCH_PYTHON names another (a venv's). */
const PYTHON = process.env['FUSEFLOW_BENCH_PYTHON'] ?? '/usr/bin/python3';
const TORCH_SCRIPT = fileURLToPath(new URL('./trainer-torch.py', import.meta.url));

/** Median samples/s over `repeats` runs of `steps` steps, after `warm` warm-up steps. */
function rate(step: () => void, steps: number, repeats: number, warm: number): { readonly perS: number; readonly runs: number[] } {
  for (let i = 0; i < warm; i++) step();
  const runs: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) step();
    runs.push((BATCH * steps * 1000) / (performance.now() - t0));
  }
  return { perS: median(runs), runs };
}

/** Process CPU (ms) per step over `steps` steps. */
function cpuPerStep(step: () => void, steps: number): number {
  const c0 = process.cpuUsage();
  for (let i = 0; i < steps; i++) step();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / steps;
}

/**
 * The fixed CNN step with fuseflow's WebAssembly SIMD kernels on and off (their JavaScript
 * loops and the earlier XNNPACK routes), alternating blocks in the same run: the speed-up of
 * the single-thread step in process CPU per step (diagnostic; wall-clock samples/s drift with load).
 */
function simdOnOff(step: () => void): { readonly row: BenchRow } {
  const cpu: Record<'on' | 'off', number[]> = { on: [], off: [] };
  for (let r = 0; r < REPEATS; r++) {
    for (const mode of ['off', 'on'] as const) {
      setSimdKernelsEnabled(mode === 'on');
      step();
      cpu[mode].push(cpuPerStep(step, STEPS));
    }
  }
  setSimdKernelsEnabled(true);
  const [on, off] = [median(cpu.on), median(cpu.off)];
  return {
    row: {
      name: 'fixed CNN, wasm: CPU per step with the SIMD kernels off vs on (diagnostic)',
      value: off / on,
      unit: '×',
      note: `process CPU per step, median of ${REPEATS} blocks of ${STEPS} steps, alternating: on ${on.toFixed(1)} ms, off ${off.toFixed(1)} ms`,
    },
  };
}

interface TorchResult {
  readonly torch: string;
  readonly threads: number;
  readonly samples_per_s: number;
}

function torchRate(threads: number): TorchResult | string {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return 'python3-torch not installed (apt-get install -y python3-torch)';
  const run = spawnSync(PYTHON, [TORCH_SCRIPT, String(threads), String(STEPS * 2), String(REPEATS)], { encoding: 'utf8' });
  if (run.status !== 0) return `PyTorch run failed: ${run.stderr.trim().split('\n').pop() ?? ''}`;
  return JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as TorchResult;
}

const rows: BenchRow[] = [];
const notes: Record<string, unknown> = {};

/**
 * A diagnostic row for a loaded machine: 2 threads vs 1 in CPU time per step (time spent on a
 * core, which leaves out waiting for one): 1 thread's over the slowest participant's (this thread,
 * which computes slice 0 and also slices, posts and reads back, or the replica). What the
 * wall-clock ratio would approach with a free core per thread; it still counts cache and memory
 * contention. Not the bar (which is wall-clock).
 */
function cpuRow(what: string, cpu: CpuPerStep, digits: number): BenchRow {
  return {
    name: `${what}, 2 threads vs 1 in CPU time per step (diagnostic for loaded runs)`,
    value: cpu.one / cpu.replica,
    unit: '×',
    note: `thread CPU per step (means): 1 thread ${cpu.one.toFixed(digits)} ms; 2 threads: slowest participant ${cpu.replica.toFixed(digits)} ms (this thread ${cpu.main.toFixed(digits)} ms: slice 0, its update part, slicing, reading back; the replica ${cpu.worker.toFixed(digits)} ms) (Linux /proc/thread-self/schedstat; NaN elsewhere)`,
  };
}

/**
 * The whole process's CPU per step (every thread: replicas, main, V8's GC and compiler helpers)
 * on 1 and on 2 compute threads, and the ceiling it sets on 2 cores: a 2-thread step cannot take
 * less wall time than half its process CPU, while a 1-thread step takes its own thread's CPU (its
 * helpers run on the other core), so 2 threads vs 1 on two free cores is at most
 * 1 thread's CPU / (2 threads' process CPU / 2). Diagnostic, not a bar.
 */
function processCpuRow(what: string, cpu: CpuPerStep, digits: number): BenchRow {
  return {
    name: `${what}, ceiling of 2 threads vs 1 on 2 cores from process CPU (diagnostic)`,
    value: cpu.one / (cpu.process2 / 2),
    unit: '×',
    note: `process CPU per step (all threads, means): 1 thread ${cpu.process1.toFixed(digits)} ms (its compute thread ${cpu.one.toFixed(digits)} ms), 2 threads ${cpu.process2.toFixed(digits)} ms = ${((cpu.process2 / cpu.process1 - 1) * 100).toFixed(0)}% more work than 1 thread; ceiling = ${cpu.one.toFixed(digits)} / (${cpu.process2.toFixed(digits)} / 2)`,
  };
}

/** Means per step (ms): 1 thread's compute-thread CPU, the slowest participant's, this thread's and the replica's with 2 threads, and the whole process's on 1 and on 2 threads. */
interface CpuPerStep {
  readonly one: number;
  readonly replica: number;
  readonly main: number;
  readonly worker: number;
  readonly process1: number;
  readonly process2: number;
}

/**
 * What this machine allows any 2-thread scheme for the fixed CNN: two independent processes
 * (nothing shared but the machine) stepping 32 rows each at the same time, against one process
 * stepping 64 rows alone — the 2-thread step's work split in two with no coordination at all. When
 * the two cores slow each other, this stays below 2 though the busy-loop calibration reads 2.0. On
 * the 2-core VM that is not a shared core (a throughput-bound wasm f32x4 loop also scales 1.9–2.2×
 * there) but what those loops do not use: caches and memory shared with the host's other work.
 */
async function machineCeilingRow(cnn1: number, cnn2: number): Promise<BenchRow> {
  const solo = workerEntry(import.meta.url, './lib/solo-stepper');
  const steps = STEPS * REPEATS;
  const [full] = await soloStepping(solo, 1, BATCH, PARALLEL_WARM, steps);
  const [half] = await soloStepping(solo, 1, BATCH / 2, PARALLEL_WARM, steps);
  const pair = await soloStepping(solo, 2, BATCH / 2, PARALLEL_WARM, steps);
  const slowest = Math.max(...pair.map((p) => p.msPerStep));
  const ceiling = (full?.msPerStep ?? Number.NaN) / slowest;
  notes['machineCeiling'] = { full, half, pair };
  return {
    name: 'fixed CNN, machine ceiling: 2 independent processes of 32 rows at once vs 1 process of 64 (diagnostic)',
    value: ceiling,
    unit: '×',
    note: `one process, 64 rows: ${full?.msPerStep.toFixed(1)} ms a step; one process, 32 rows alone: ${half?.msPerStep.toFixed(1)} ms; two at once: ${pair.map((p) => p.msPerStep.toFixed(1)).join(' and ')} ms (${((slowest / (half?.msPerStep ?? Number.NaN) - 1) * 100).toFixed(0)}% slower than alone); the 2-thread fit step reached ${(cnn1 / cnn2).toFixed(2)}× = ${((cnn1 / cnn2 / ceiling) * 100).toFixed(0)}% of this`,
  };
}

/**
 * Data-parallel training rows (fit's `threads`): the fixed CNN and a 3D ResNet on 2 compute
 * threads (replicas on worker threads) vs 1, with the same-run calibration next to them; the
 * current backend must be wasm with fuseflow's kernels. `torch`: PyTorch on 2 threads (or why not).
 */
async function parallelRows(torch: TorchResult | string): Promise<void> {
  const calibration = await busyLoopScaling();
  const calib = `calibration ${calibration.toFixed(2)}× (busy loop, 2 threads vs 1; 2.0 = two free cores)`;
  rows.push({ name: 'calibration: pure busy loop, 2 threads vs 1', value: calibration, unit: '×', note: '2.0 on two free cores; lower = the machine is shared right now' });
  const rng = Rng.fromParts(['bench.trainer.parallel']);
  const ce = crossEntropy({ pred: 'model.logits', target: 'data.label' });
  const cnn = dictModel(fixedCnnNet(), { inputs: [{ key: 'data.x', shape: [28, 28, 1] }], outputs: ['model.logits'] });
  const cnnBatch = setKeys(createSample('batch'), {
    'data.x': ffTensor(
      'float32',
      [BATCH, 28, 28, 1],
      Float32Array.from({ length: BATCH * 784 }, () => rng.uniform()),
    ),
    'data.label': Array.from({ length: BATCH }, () => rng.int(0, 10)),
  });
  /**
   * ms per step on 1 thread, on 2 compute threads with the update on this thread (the earlier
   * design) and on 2 with the sharded update (fit's), interleaved; the sharded steps' phases.
   */
  const timeOn = async (model: DictModel, b: Sample, rowsIn: number, steps: number, repeats: number, warm: number) => {
    const one = await stepper(model, [ce], b, rowsIn, 1);
    const twoMain = await stepper(model, [ce], b, rowsIn, 2, false);
    const two = await stepper(model, [ce], b, rowsIn, 2);
    try {
      const [a, m, c] = await msPerStep([one, twoMain, two], steps, repeats, warm);
      const timed = two.phases.slice(-steps * repeats); // timed steps only
      const phase = (k: Exclude<keyof StepPhases, 'cpus'>): number => median(timed.map((p) => p[k]));
      const profile = { load: phase('load'), compute: phase('compute'), wait: phase('wait'), update: phase('update'), cpu: phase('cpu'), main: phase('main'), step: phase('step') };
      // CPU time per step (time on a core, not waiting for one), means over the timed steps: a thread's
      // CPU read from /proc/thread-self/schedstat lags by up to a scheduler tick (1–4 ms here), so one
      // step's value is that coarse, but consecutive steps' errors cancel in a sum; medians (or a
      // per-step maximum over threads) would keep the error. The slowest participant: the larger mean.
      const meanOf = (list: readonly number[]): number => list.reduce((a, x) => a + x, 0) / list.length;
      const timedOf = (list: number[]): number => meanOf(list.slice(-steps * repeats));
      const [main, worker] = [timedOf(two.cpuMs), meanOf(timed.map((p) => p.cpus[1] ?? Number.NaN))];
      const cpu: CpuPerStep = { one: timedOf(one.cpuMs), replica: Math.max(main, worker), main, worker, process1: timedOf(one.processCpuMs), process2: timedOf(two.processCpuMs) };
      return { one: a as number, mainUpdate: m as number, two: c as number, replica: median(two.replicaMs.slice(-steps * repeats)), profile, cpu };
    } finally {
      await one.close();
      await twoMain.close();
      await two.close();
    }
  };
  /** Where a sharded 2-thread step's time goes (medians, slowest participant). */
  const profileText = (p: Record<Exclude<keyof StepPhases, 'cpus'>, number>, digits: number): string => {
    const other = p.step - p.main - (p.load + p.compute + p.wait + p.update);
    return `step ${p.step.toFixed(digits)} ms = weights-in ${p.load.toFixed(digits)} + forward/backward ${p.compute.toFixed(digits)} + barrier wait ${p.wait.toFixed(digits)} + sum/update part ${p.update.toFixed(digits)} + main thread besides its slice (slicing, post, read back) ${p.main.toFixed(digits)} + messaging/other ${other.toFixed(digits)}`;
  };
  const cnnT = await timeOn(cnn, cnnBatch, BATCH, STEPS, REPEATS, PARALLEL_WARM);
  const [cnn1, cnn2] = [cnnT.one, cnnT.two];
  cnn.net.dispose();
  const rate2 = (BATCH * 1000) / cnn2;
  notes['cnnTwoThreadProfile'] = cnnT.profile;
  notes['cnnCpuMsPerStep'] = cnnT.cpu;
  rows.push({
    name: 'fixed CNN, wasm, 2 compute threads (replicas, sharded update)',
    value: rate2,
    unit: 'samples/s',
    ratio: cnn1 / cnn2,
    ratioOf: 'vs own 1 thread',
    bar: '>= 1.7',
    pass: cnn1 / cnn2 >= 1.7,
    note: `1 thread (same harness, interleaved runs) ${((BATCH * 1000) / cnn1).toFixed(0)} samples/s = ${cnn1.toFixed(1)} ms/step; 2 threads ${cnn2.toFixed(1)} ms/step (${profileText(cnnT.profile, 1)}); ${calib}`,
  });
  rows.push(cpuRow('fixed CNN', cnnT.cpu, 1));
  rows.push(processCpuRow('fixed CNN', cnnT.cpu, 1));
  rows.push(await machineCeilingRow(cnn1, cnn2));
  rows.push({
    name: 'fixed CNN, wasm, 2 compute threads, update on the main thread (earlier design)',
    value: (BATCH * 1000) / cnnT.mainUpdate,
    unit: 'samples/s',
    ratio: cnn1 / cnnT.mainUpdate,
    ratioOf: 'vs own 1 thread',
    note: `same run, interleaved with the rows above: ${cnnT.mainUpdate.toFixed(1)} ms/step (gradients summed + Adam on the main thread, weights copied out each step)`,
  });
  if (typeof torch !== 'string') {
    rows.push({
      name: 'fixed CNN, wasm 2 threads vs PyTorch 2 threads',
      value: rate2,
      unit: 'samples/s',
      ratio: rate2 / torch.samples_per_s,
      ratioOf: 'vs PyTorch 2 threads',
      bar: '>= 0.8',
      pass: rate2 / torch.samples_per_s >= 0.8,
      note: `PyTorch ${torch.samples_per_s.toFixed(0)} samples/s measured earlier in this run; ${calib}`,
    });
  }
  const input = tf.input({ shape: [32, 32, 32, 1] });
  const ctx = buildContext(7);
  const features = resnet({ dims: 3, filters: [8, 16, 32] }).build(input, ctx);
  const pooled = globalPool(features, 'avg', ctx, 'pool');
  const logits = tf.layers.dense({ units: 2, kernelInitializer: ctx.glorotUniform() }).apply(pooled) as tf.SymbolicTensor;
  const res = dictModel(tf.model({ inputs: input, outputs: logits }), { inputs: [{ key: 'data.x', shape: [32, 32, 32, 1] }], outputs: ['model.logits'] });
  const resBatch = setKeys(createSample('batch'), {
    'data.x': ffTensor(
      'float32',
      [2, 32, 32, 32, 1],
      Float32Array.from({ length: 2 * 32 ** 3 }, () => rng.normal()),
    ),
    'data.label': [0, 1],
  });
  const resT = await timeOn(res, resBatch, 2, 2, 3, Math.max(2, Math.round(PARALLEL_WARM / 10)));
  const [res1, res2] = [resT.one, resT.two];
  notes['resnetTwoThreadProfile'] = resT.profile;
  notes['resnetCpuMsPerStep'] = resT.cpu;
  const calibrationAfter = await busyLoopScaling();
  notes['calibrationAfterParallelRows'] = calibrationAfter;
  res.net.dispose();
  rows.push({
    name: '3D ResNet step (2×32³, [8,16,32]), wasm, 2 compute threads (sharded update)',
    value: res2,
    unit: 'ms/step',
    ratio: res1 / res2,
    ratioOf: 'vs own 1 thread',
    bar: '>= 1.6',
    pass: res1 / res2 >= 1.6,
    note: `1 thread ${res1.toFixed(0)} ms/step (interleaved runs); update on the main thread (earlier design) ${resT.mainUpdate.toFixed(0)} ms/step = ${(res1 / resT.mainUpdate).toFixed(2)}×; ${profileText(resT.profile, 0)}; one sample per replica, batch norm per replica; ${calib}, ${calibrationAfter.toFixed(2)}× after`,
  });
  rows.push(cpuRow('3D ResNet step', resT.cpu, 0));
  rows.push(processCpuRow('3D ResNet step', resT.cpu, 0));
}

if (PARALLEL_ONLY) {
  registerFuseflowKernels();
  await useBackend('wasm', { log: (l) => console.log(l) });
  await parallelRows(torchRate(2));
}

if (!PIPELINE_ONLY && !PARALLEL_ONLY) {
  // 1. wasm with tfjs's own kernels only: set the backend up before fuseflow registers anything.
  setWasmPaths(wasmBinaryFolder());
  await tf.setBackend('wasm');
  {
    const cnn = fixedCnn();
    try {
      cnn.step();
      rows.push({ name: 'fixed CNN, wasm, tfjs kernels only', value: Number.NaN, unit: 'samples/s', note: 'trained (unexpected)' });
    } catch (err) {
      rows.push({ name: 'fixed CNN, wasm, tfjs kernels only', value: 0, unit: 'samples/s', note: `cannot train: ${(err as Error).message}` });
    }
    cnn.dispose();
  }

  // 2. wasm with fuseflow's kernels, measured in two halves around the PyTorch run (load drifts).
  registerFuseflowKernels();
  const choice = await useBackend('wasm', { log: (l) => console.log(l) });
  const cnn = fixedCnn();
  const first = rate(cnn.step, STEPS, Math.ceil(REPEATS / 2), 3);
  const torch = torchRate(2);
  const torch1 = typeof torch === 'string' ? torch : torchRate(1);
  const second = rate(cnn.step, STEPS, Math.floor(REPEATS / 2) + 1, 1);
  const simd = simdOnOff(cnn.step);
  const tensorsAfter = tf.memory().numTensors;
  cnn.step();
  const leak = tf.memory().numTensors - tensorsAfter;
  cnn.dispose();
  const wasmRate = median([...first.runs, ...second.runs]);
  notes['wasmRuns'] = [...first.runs, ...second.runs].map((r) => Math.round(r));
  notes['wasm'] = choice.summary;
  if (typeof torch === 'string') {
    rows.push({ name: 'fixed CNN, wasm + fuseflow kernels', value: wasmRate, unit: 'samples/s', note: `PyTorch skipped: ${torch}; tensors leaked per step: ${leak}` });
    rows.push({ name: 'fixed CNN, PyTorch CPU', value: Number.NaN, unit: 'samples/s', note: `skipped: ${torch}` });
  } else {
    rows.push({
      name: 'fixed CNN, wasm + fuseflow kernels',
      value: wasmRate,
      unit: 'samples/s',
      ratio: wasmRate / torch.samples_per_s,
      ratioOf: 'vs PyTorch',
      bar: '>= 0.5',
      pass: wasmRate / torch.samples_per_s >= 0.5,
      note: `${choice.detail ?? ''}; tensors leaked per step: ${leak}`,
    });
    rows.push({ name: 'fixed CNN, PyTorch CPU', value: torch.samples_per_s, unit: 'samples/s', note: `torch ${torch.torch}, ${torch.threads} threads (the bar's baseline)` });
    rows.push(simd.row);
    if (typeof torch1 !== 'string') {
      rows.push({
        name: 'fixed CNN, PyTorch CPU, 1 thread',
        value: torch1.samples_per_s,
        unit: 'samples/s',
        ratio: wasmRate / torch1.samples_per_s,
        ratioOf: 'wasm vs this',
        note: 'same thread count as wasm; 2-thread PyTorch slows most when the machine is shared',
      });
    }
  }

  await parallelRows(torch);

  // 3. native TensorFlow, when installed.
  try {
    await useBackend('tensorflow', { log: null });
    const native = fixedCnn();
    const r = rate(native.step, STEPS, REPEATS, 3);
    native.dispose();
    rows.push({ name: 'fixed CNN, tfjs-node', value: r.perS, unit: 'samples/s', ratio: r.perS / wasmRate, ratioOf: 'vs wasm' });
  } catch (err) {
    rows.push({ name: 'fixed CNN, tfjs-node', value: Number.NaN, unit: 'samples/s', note: `skipped: ${(err as Error).message.replace(/^.*cannot be used: /, '')}` });
  }

  // 4. pure JS, a few steps.
  await useBackend('cpu', { log: null });
  {
    const slow = fixedCnn();
    const r = rate(slow.step, 1, 3, 1);
    slow.dispose();
    rows.push({ name: 'fixed CNN, cpu (pure JS)', value: r.perS, unit: 'samples/s', ratio: wasmRate / r.perS, ratioOf: 'wasm speed-up' });
  }

  // 5. one step of a 3D ResNet (stride-2 stages, batch norm), batch 2 of 32³ volumes.
  async function resnetStepMs(backend: 'wasm' | 'cpu', steps: number): Promise<number> {
    await useBackend(backend, { log: null });
    const input = tf.input({ shape: [32, 32, 32, 1] });
    const ctx = buildContext(7);
    const features = resnet({ dims: 3, filters: [8, 16, 32] }).build(input, ctx);
    const pooled = globalPool(features, 'avg', ctx, 'pool');
    const logits = tf.layers.dense({ units: 2, kernelInitializer: ctx.glorotUniform() }).apply(pooled) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: logits });
    const opt = tf.train.adam(1e-3);
    const x = tf.randomNormal([2, 32, 32, 32, 1], 0, 1, 'float32', 3);
    const y = tf.oneHot(tf.tensor1d([0, 1], 'int32'), 2);
    const step = (): void => {
      const cost = opt.minimize(() => tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(y, model.apply(x, { training: true }) as tf.Tensor), true);
      cost?.dataSync();
      cost?.dispose();
    };
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
  const resnetWasm = await resnetStepMs('wasm', 5);
  rows.push({ name: '3D ResNet step (2×32³, [8,16,32]), wasm', value: resnetWasm, unit: 'ms/step' });
  if (CPU_3D) {
    const resnetCpu = await resnetStepMs('cpu', 1);
    rows.push({ name: '3D ResNet step (2×32³, [8,16,32]), cpu', value: resnetCpu, unit: 'ms/step', ratio: resnetCpu / resnetWasm, ratioOf: 'wasm speed-up' });
  }
}

// 6. data-wait share with the full pipeline (cache + 2 augmentation workers) feeding the trainer.
const FASHION = fileURLToPath(new URL('../../shared/data/images2d/fashion-mnist/', import.meta.url));
const PIPE_BATCHES = flag('pipeline-batches', 30);

/** The first `n` Fashion-MNIST training images as samples (`data.image` 28×28 float32, `data.label`). */
function fashionSamples(n: number): Map<string, Sample> {
  const idx = (file: string): Buffer => gunzipSync(readFileSync(join(FASHION, file)));
  const images = idx('train-images-idx3-ubyte.gz');
  const labels = idx('train-labels-idx1-ubyte.gz');
  const out = new Map<string, Sample>();
  for (let i = 0; i < n; i++) {
    const px = new Float32Array(784);
    for (let j = 0; j < 784; j++) px[j] = (images[16 + i * 784 + j] as number) / 255;
    const id = `fm-${i}`;
    out.set(id, setKeys(createSample(id), { 'data.image': createImage('float32', [28, 28], px), 'data.label': labels[8 + i] }));
  }
  return out;
}

if (PARALLEL_ONLY) {
  // the data-parallel rows only
} else if (existsSync(join(FASHION, 'train-images-idx3-ubyte.gz'))) {
  await useBackend('wasm', { log: null });
  const samples = fashionSamples(BATCH * 40);
  const dir = mkdtempSync(join(tmpdir(), 'ff-bench-trainer-'));
  const staticP = pipeline([zScoreIntensity({ keys: ['data.image'] })], { name: 'static' });
  const dynamicP = pipeline([randFlip({ keys: ['data.image'], prob: 0.5 }), randGaussianNoise({ keys: ['data.image'], prob: 0.5, std: 0.05 })], {
    name: 'dynamic',
    opIndexBase: 1,
  });
  const store = openSampleCache({ dir, pipeline: staticP, audit: false });
  const runner = createWorkerRunner({ pipeline: pipelineSpec(dynamicP), threads: 2, samplesPerTask: 16 });
  const ds = dataset({ ids: [...samples.keys()], source: (id) => samples.get(id) as Sample, staticPipeline: staticP, dynamicPipeline: dynamicP, store, runner });
  const model = fixedCnn();
  // Epoch 0 fills the cache (untimed); the timed epochs read it, as every later epoch of a run does.
  for await (const b of batch({ size: BATCH, dropLast: true })(ds.stream({ epoch: 0, seed: 1, window: 4 * BATCH }))) void b;
  /** Wait and busy ms per batch over PIPE_BATCHES batches (after 2 warm-up ones) with `consume` as the step. */
  // The batch-level path: one worker task per batch (cache read, augmentation and collation in the worker).
  const batchRunner = createBatchRunner({ pipeline: pipelineSpec(dynamicP), threads: 2 });
  const bd = batchedDataset({ ids: [...samples.keys()], source: (id) => samples.get(id) as Sample, staticPipeline: staticP, dynamicPipeline: dynamicP, store, batchRunner });
  type Batches = (epoch: number) => AsyncIterable<Sample>;
  const perSample: Batches = (epoch) => batch({ size: BATCH, dropLast: true })(ds.stream({ epoch, seed: 1, window: 4 * BATCH }));
  const perBatch: Batches = (epoch) => bd.batches({ size: BATCH, dropLast: true, epoch, seed: 1, window: 4 });
  const measure = async (consume: (batchSample: Sample) => Promise<void> | void, batches: Batches = perSample): Promise<{ readonly wait: number; readonly busy: number }> => {
    let wait = 0;
    let busy = 0;
    let seen = 0;
    for (let epoch = 1; seen < PIPE_BATCHES + 2; epoch++) {
      const it = batches(epoch)[Symbol.asyncIterator]();
      for (;;) {
        const w0 = performance.now();
        const next = await it.next();
        const w1 = performance.now();
        if (next.done === true || seen >= PIPE_BATCHES + 2) {
          await it.return?.();
          break;
        }
        await consume(next.value);
        const w2 = performance.now();
        if (seen >= 2) {
          // the first two batches warm up both sides
          wait += w1 - w0;
          busy += w2 - w1;
        }
        seen++;
      }
    }
    return { wait: wait / PIPE_BATCHES, busy: busy / PIPE_BATCHES };
  };
  const trainStep = (b: Sample): void => {
    const img = getKey<FfTensor>(b, 'data.image');
    const lab = getKey<FfTensor>(b, 'data.label');
    const x = tf.tensor4d(img.data as Float32Array, [BATCH, 28, 28, 1]);
    const y = tf.oneHot(tf.tensor1d(lab.data as Int32Array, 'int32'), 10);
    model.stepOn(x, y);
    tf.dispose([x, y]);
  };
  const trained = await measure(trainStep);
  const trainedBatched = await measure(trainStep, perBatch);
  // Diagnostic: the same pipeline with the step replaced by a 50 ms wait that leaves the main
  // thread free (a timer). What is left is the pipeline's own latency on the pull path (batching,
  // collation, credit hand-back); the rest of the trained wait is main-thread pipeline work
  // (cache reads, worker messages) that cannot overlap a synchronous training step.
  // End to end with data-parallel compute: the batch-level path feeding fit's step (a DictModel of
  // the fixed CNN, cross-entropy, Adam) on 1 and on 2 compute threads; the 2 batch workers and the
  // compute threads share the 2 cores.
  const e2eModel = dictModel(fixedCnnNet(), { inputs: [{ key: 'data.image', shape: [28, 28, 1] }], outputs: ['model.logits'] });
  const e2eLoss = crossEntropy({ pred: 'model.logits', target: 'data.label' });
  const endToEnd: { threads: number; wait: number; busy: number }[] = [];
  for (const threads of [1, 2]) {
    const s = await stepper(e2eModel, [e2eLoss], {}, BATCH, threads);
    endToEnd.push({ threads, ...(await measure((b) => s.step(b), perBatch)) });
    await s.close();
  }
  e2eModel.net.dispose();
  const idle = await measure(() => new Promise<void>((resolve) => setTimeout(resolve, 50)));
  const idleBatched = await measure(() => new Promise<void>((resolve) => setTimeout(resolve, 50)), perBatch);
  model.dispose();
  await runner.close();
  await batchRunner.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  const share = trained.wait / (trained.wait + trained.busy);
  rows.push({
    name: 'data-wait share, fixed CNN fed by cache + 2 workers',
    value: share * 100,
    unit: '% of step',
    note: `per-sample path (batch() over dataset.stream); ${PIPE_BATCHES} batches of 64 Fashion-MNIST (non-medical stand-in); wait ${trained.wait.toFixed(1)} ms, step ${trained.busy.toFixed(1)} ms per batch`,
  });
  const batchedShare = trainedBatched.wait / (trainedBatched.wait + trainedBatched.busy);
  rows.push({
    name: 'data-wait share, fixed CNN fed by cache + 2 batch workers',
    value: batchedShare * 100,
    unit: '% of step',
    bar: '< 5',
    pass: batchedShare < 0.05,
    note: `batch-level path (batchedDataset().batches, one worker task per batch, window 4 batches); wait ${trainedBatched.wait.toFixed(1)} ms, step ${trainedBatched.busy.toFixed(1)} ms per batch`,
  });
  const e2eCalibration = await busyLoopScaling();
  const e2eOne = endToEnd[0];
  for (const e of endToEnd) {
    const share = e.wait / (e.wait + e.busy);
    const rate = (BATCH * 1000) / (e.wait + e.busy);
    rows.push({
      name: `end to end: cache + 2 batch workers + fit step, ${e.threads} compute thread${e.threads > 1 ? 's' : ''}`,
      value: rate,
      unit: 'samples/s',
      ...(e.threads > 1 && e2eOne !== undefined ? { ratio: (e2eOne.wait + e2eOne.busy) / (e.wait + e.busy), ratioOf: 'vs 1 compute thread' } : {}),
      ...(e.threads > 1 ? { bar: 'data-wait < 5%', pass: share < 0.05 } : {}),
      note: `data-wait ${(share * 100).toFixed(1)}% (wait ${e.wait.toFixed(1)} ms, step ${e.busy.toFixed(1)} ms per batch); calibration ${e2eCalibration.toFixed(2)}× after`,
    });
  }
  rows.push({
    name: 'data-wait share, same pipeline, step = 50 ms timer',
    value: (idle.wait / (idle.wait + idle.busy)) * 100,
    unit: '% of step',
    note: `diagnostic: main thread free during the step; wait ${idle.wait.toFixed(1)} ms per batch is the pipeline's pull-path latency`,
  });
  rows.push({
    name: 'data-wait share, batch-level path, step = 50 ms timer',
    value: (idleBatched.wait / (idleBatched.wait + idleBatched.busy)) * 100,
    unit: '% of step',
    note: `diagnostic: wait ${idleBatched.wait.toFixed(1)} ms per batch`,
  });
} else {
  rows.push({ name: 'data-wait share, fixed CNN fed by cache + 2 workers', value: Number.NaN, unit: '% of step', note: `skipped: no Fashion-MNIST at ${FASHION}` });
}

report('trainer', rows, notes);
