/**
 * Bench helpers for data-parallel training (issue 10 §1): a training step of a DictModel on 1
 * thread (in-thread, as fit's step) or on N replicas (trainer/parallel's pool, as
 * fit({ threads: N })), and the same-run calibration — a pure busy loop on 1 thread and on 2
 * concurrent threads — so a loaded machine can be told from poor scaling.
 */
import { spawn } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import type { Sample } from '../../src/core/sample.js';
import { totalLoss, type Loss } from '../../src/trainer/losses/loss.js';
import type { DictModel } from '../../src/trainer/models/dict-model.js';
import { createOptimizer } from '../../src/trainer/optim/optimizer.js';
import { createReplicaPool } from '../../src/trainer/parallel/replica-pool.js';
import { threadCpuMs } from '../../src/trainer/parallel/thread-cpu.js';

/** Where one step's time went (ms). */
export interface StepPhases {
  /** The slowest participant's (this thread or a replica): weights into tfjs, forward + backward, waiting at the barrier, its part of the sum + update. */
  readonly load: number;
  readonly compute: number;
  readonly wait: number;
  readonly update: number;
  /** The slowest participant's CPU time on the step (ms; NaN off Linux): what the step costs without waiting for a core. */
  readonly cpu: number;
  /** Each participant's CPU time on the step (ms; index 0: this thread, slice 0 and its whole step). */
  readonly cpus: readonly number[];
  /** This thread's own work besides its slice and update part: slicing and posting the batch, reading the weights back. */
  readonly main: number;
  /** The whole step as the caller saw it. */
  readonly step: number;
}

/** A step function and its teardown. */
export interface Stepper {
  /** One step on `batch` (default: the stepper's own batch). */
  readonly step: (batch?: Sample) => Promise<void>;
  /** With replicas: the slowest participant's own ms on each step so far (diagnostic). */
  readonly replicaMs: number[];
  /** With the sharded update: per step, the slowest replica's phases, this thread's own ms and the whole step's ms. */
  readonly phases: StepPhases[];
  /** Per step, this thread's CPU time (ms; NaN off Linux): the whole step's (with replicas: slice 0, its update part, slicing, reading back). */
  readonly cpuMs: number[];
  /**
   * Per step, the whole process's CPU time (ms, `process.cpuUsage`): every thread — replicas, this
   * thread, V8's GC and compiler helpers. On a machine with `c` free cores a step cannot take less
   * wall time than this / `c`.
   */
  readonly processCpuMs: number[];
  readonly close: () => Promise<void>;
}

/**
 * Adam steps of `model` on `batch` (`rows` rows) with `threads` compute threads; with more than
 * one, `sharded` (default true, as fit) makes the replicas apply the update (false: gradients
 * summed and the update applied on this thread, the earlier design).
 */
export async function stepper(model: DictModel, losses: readonly Loss[], batch: Sample, rows: number, threads: number, sharded = true): Promise<Stepper> {
  const variables = model.trainableVariables();
  const optimizer = createOptimizer({ type: 'adam' }, variables);
  let n = 0;
  const replicaMs: number[] = [];
  const phases: StepPhases[] = [];
  const cpuMs: number[] = [];
  const processCpuMs: number[] = [];
  const processCpu = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  if (threads === 1) {
    return {
      replicaMs,
      phases,
      cpuMs,
      processCpuMs,
      step: (b = batch) => {
        const c0 = threadCpuMs();
        const p0 = processCpu();
        const ctx = { step: n++, phase: 'train' };
        const { value, grads } = tf.variableGrads(() => totalLoss(losses, b, model.forward(b, { ...ctx, training: true }), ctx).total, variables);
        const list = variables.map((v) => grads[v.name] as tf.Tensor);
        value.dataSync();
        optimizer.apply(list, 1e-3);
        tf.dispose([value, ...list]);
        cpuMs.push(threadCpuMs() - c0);
        processCpuMs.push(processCpu() - p0);
        return Promise.resolve();
      },
      close: () => {
        optimizer.dispose();
        return Promise.resolve();
      },
    };
  }
  const pool = await createReplicaPool({ model, losses, threads, ...(sharded ? { optimizer } : {}) });
  if (sharded) {
    return {
      replicaMs,
      phases,
      cpuMs,
      processCpuMs,
      step: async (b = batch) => {
        const t0 = performance.now();
        const c0 = threadCpuMs();
        const p0 = processCpu();
        const r = await pool.step(b, rows, n++, 1e-3);
        cpuMs.push(threadCpuMs() - c0);
        processCpuMs.push(processCpu() - p0);
        const ms = performance.now() - t0;
        const slowest = r.phases.reduce((a, p) => (p.load + p.compute > a.load + a.compute ? p : a));
        replicaMs.push(Math.max(...r.replicaMs));
        const cpus = r.phases.map((p) => p.cpu);
        phases.push({ ...slowest, cpu: Math.max(...cpus), cpus, main: r.mainMs, step: ms });
      },
      close: async () => {
        optimizer.dispose();
        await pool.close();
      },
    };
  }
  return {
    replicaMs,
    phases,
    cpuMs,
    processCpuMs,
    step: async (b = batch) => {
      const r = await pool.gradients(b, rows, n++);
      replicaMs.push(Math.max(...r.replicaMs));
      optimizer.apply(r.grads, 1e-3);
      tf.dispose(r.grads);
    },
    close: async () => {
      optimizer.dispose();
      await pool.close();
    },
  };
}

/**
 * Median ms per step of each stepper, measured interleaved (`repeats` rounds, each running every
 * stepper for `steps` steps in turn, after `warm` steps each), so that load that comes and goes
 * during the run falls on all of them alike.
 */
export async function msPerStep(steppers: readonly Stepper[], steps: number, repeats: number, warm: number): Promise<number[]> {
  for (const s of steppers) for (let i = 0; i < warm; i++) await s.step();
  const runs: number[][] = steppers.map(() => []);
  for (let r = 0; r < repeats; r++) {
    for (const [k, s] of steppers.entries()) {
      const t0 = performance.now();
      for (let i = 0; i < steps; i++) await s.step();
      runs[k]?.push((performance.now() - t0) / steps);
    }
  }
  return runs.map((list) => {
    list.sort((a, b) => a - b);
    return list[Math.floor(list.length / 2)] as number;
  });
}

const BUSY = `
const { parentPort } = require('node:worker_threads');
let x = 0;
const t0 = performance.now();
for (let i = 0; i < 150_000_000; i++) x = (x + i * 7) % 1000003;
parentPort.postMessage({ ms: performance.now() - t0, x });
`;

function busy(): Promise<number> {
  return new Promise((resolve, reject) => {
    const w = new Worker(BUSY, { eval: true });
    w.once('message', (m: { ms: number }) => {
      resolve(m.ms);
      void w.terminate();
    });
    w.once('error', reject);
  });
}

/**
 * Throughput of a pure busy loop on 2 concurrent threads over 1 thread (2.0 on two free cores;
 * lower means the machine is shared right now). Median of `repeats`.
 */
export async function busyLoopScaling(repeats = 3): Promise<number> {
  const ratios: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const one = await busy();
    const two = await Promise.all([busy(), busy()]);
    ratios.push((2 * one) / Math.max(...two));
  }
  ratios.sort((a, b) => a - b);
  return ratios[Math.floor(ratios.length / 2)] as number;
}

/** One {@link soloStepping} process's timing. */
interface SoloTiming {
  readonly msPerStep: number;
  readonly cpuMsPerStep: number;
}

/**
 * Runs `count` independent processes of `script` (bench/lib/solo-stepper: the fixed CNN, one thread
 * each, `rows` rows a step), releases them together once all have warmed up, and returns each one's
 * timing. Nothing is shared between them but the machine: two of them at 32 rows beside the
 * 1-thread step at 64 bound what any 2-thread scheme can reach on this machine for this model.
 */
export async function soloStepping(
  script: { readonly filename: string; readonly execArgv: readonly string[] },
  count: number,
  rows: number,
  warm: number,
  steps: number,
): Promise<SoloTiming[]> {
  const children = Array.from({ length: count }, () =>
    spawn(process.execPath, [...script.execArgv, script.filename, String(rows), String(warm), String(steps)], { stdio: ['pipe', 'pipe', 'inherit'] }),
  );
  const outputs = children.map((c) => {
    let text = '';
    c.stdout.setEncoding('utf8');
    const ready = new Promise<void>((resolve) => c.stdout.on('data', (d: string) => ((text += d), text.includes('ready\n') && resolve())));
    const done = new Promise<SoloTiming>((resolve, reject) =>
      c.on('exit', (code) => (code === 0 ? resolve(JSON.parse(text.trim().split('\n').pop() ?? '{}') as SoloTiming) : reject(new Error(`solo stepper exited ${String(code)}`)))),
    );
    return { ready, done };
  });
  await Promise.all(outputs.map((o) => o.ready));
  for (const c of children) c.stdin.end('go\n');
  return Promise.all(outputs.map((o) => o.done));
}
