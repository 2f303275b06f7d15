/**
 * Data-parallel training on worker threads: `threads` replicas of the model (see
 * `replica-worker`), each computing the gradients of a fixed slice of every batch. Weights and
 * gradients are shared through SharedArrayBuffers, not copied into messages. Per step the main
 * thread writes its weights to shared memory, hands each replica its slice, then sums the
 * replicas' gradient regions in a fixed order (slice 0 + slice 1 + …) and returns the sum as
 * tensors, on which the caller applies its one optimizer update. The result is bit-identical
 * between runs with the same `threads`; with other counts it differs by float rounding only,
 * for losses that are means over rows (cross-entropy, BCE, focal, MSE): the gradient of the
 * batch mean is the row-weighted sum of the slices' mean gradients.
 *
 * With an optimizer given (fit's default when it does not accumulate), the update is sharded
 * instead: the replicas meet at an `Atomics.wait` barrier once their gradients are written, and
 * each sums its own part of the regions in the same fixed order and applies the optimizer
 * (Adam/AdamW, SGD with momentum/Nesterov, weight decay, parameter-group rates, clipping by the
 * global norm) to its part of the weights and slots in shared memory (`sharded-update.ts`); the
 * main thread copies the weights in once, then only reads the new weights back into its model
 * after each step. The sharded update repeats the tfjs update's float32 ops, so it equals the
 * main-thread update bit for bit (clipping: to float rounding, its norm is summed in double).
 *
 * Not exact across thread counts: batch norm normalises each slice with its own statistics
 * (per-replica, as PyTorch's DataParallel without SyncBatchNorm); the moving statistics kept are
 * the row-weighted mean of the replicas' (the moving mean equals one thread's, the moving variance
 * lacks the between-slice part). Dice is a ratio over the batch: with threads it is the
 * row-weighted mean of the slices' Dice. Seeded dropout draws its mask per slice shape.
 *
 * Why replicas rather than tfjs-backend-wasm's threaded SIMD build (XNNPACK's pool over
 * Emscripten pthreads): tfjs turns that build off in Node (`WASM_HAS_MULTITHREAD_SUPPORT` is
 * false there) and its pthread worker script comes as a blob URL, which Node's Worker refuses
 * (ERR_WORKER_PATH). Forcing the flag and starting the workers from the script's text (an eval
 * worker that also defines the bundle globals the main script expects) does load the threaded
 * module with its 8 pthread workers in tfjs-backend-wasm 4.22, but `setThreadsCount(2)` still
 * ends with `getThreadsCount() === 1` and no pthread is ever started, so no kernel ran on two
 * threads (measured on the fixed CNN: same samples/s as 1 thread). Even when it works, only the
 * XNNPACK kernels (convolutions, matrix products, which fuseflow's gradient kernels reach through
 * the stock batch matmul) would be threaded; fuseflow's JS loops (im2col, pooling gradients,
 * sums) would not. Replicas thread everything, on every backend.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { FuseflowError, OptionsError } from '../../core/errors.js';
import type { Sample } from '../../core/sample.js';
import { workerEntry } from '../../core/workers.js';
import { buffersIn, transferablesOf } from '../../workers/transfer-list.js';
import type { BackendName } from '../backend.js';
import type { Loss } from '../losses/loss.js';
import type { DictModel } from '../models/dict-model.js';
import type { Optimizer } from '../optim/optimizer.js';
import { lossSpecs } from './loss-from-spec.js';
import {
  CONTROL,
  type ReplicaIdle,
  type ReplicaInit,
  type ReplicaPhases,
  type ReplicaReply,
  type ReplicaStep,
  type ShardedUpdateInit,
  type WeightLayout,
} from './replica-protocol.js';
import { sliceBatch } from './slice-batch.js';
import { weightLayout } from './weight-layout.js';

/** Options of {@link createReplicaPool}. */
export interface ReplicaPoolOptions {
  /** The model; its topology, binding and current weights are what the replicas hold. Required. */
  readonly model: DictModel;
  /** Built-in losses (rebuilt on each replica from their spec). Required. */
  readonly losses: readonly Loss[];
  /** Replicas (worker threads), ≥ 2. Required. */
  readonly threads: number;
  /** Backend each replica trains on. Default `'wasm'`. */
  readonly backend?: BackendName;
  /**
   * The optimizer over `model.trainableVariables()`: given, the replicas apply its updates (the
   * sharded update, {@link ReplicaPool.step}) and its slots move to shared memory. Default none:
   * only {@link ReplicaPool.gradients}.
   */
  readonly optimizer?: Optimizer;
  /** With `optimizer`: clip the summed gradients to this global L2 norm. Default none. */
  readonly clipNorm?: number;
}

/** One step of the sharded update. */
export interface ReplicaUpdate {
  /** The batch's total loss (row-weighted mean of the slices'). */
  readonly total: number;
  /** Each loss's unweighted value, in the losses' order. */
  readonly terms: readonly number[];
  /** False when a loss was not finite: no weight changed and the optimizer did not count a step. */
  readonly applied: boolean;
  /** Each replica's own time on the step in ms. */
  readonly replicaMs: readonly number[];
  /** Each replica's time by phase (diagnostic). */
  readonly phases: readonly ReplicaPhases[];
  /** This thread's ms: slicing and posting the batch, and reading the weights back. */
  readonly mainMs: number;
}

/** The summed gradients of one batch and its loss values. */
export interface ReplicaGradients {
  /** The batch's total loss (row-weighted mean of the slices'). */
  readonly total: number;
  /** Each loss's unweighted value, in the losses' order. */
  readonly terms: readonly number[];
  /** One gradient per trainable variable (owned by the caller, who disposes them). */
  readonly grads: tf.Tensor[];
  /** Each replica's own time on the step in ms (diagnostic: the rest of the step is this thread's). */
  readonly replicaMs: readonly number[];
}

/** Replicas of a model on worker threads. */
export interface ReplicaPool {
  readonly threads: number;
  /**
   * The gradients of `batch` (of `size` rows) at the model's current weights; also copies the
   * replicas' batch-norm statistics into the model.
   * @throws {FuseflowError} with the replica's message when a slice fails (bad batch, dead thread).
   */
  gradients(batch: Sample, size: number, step: number): Promise<ReplicaGradients>;
  /** True when the pool was given an optimizer: {@link ReplicaPool.step} is available. */
  readonly sharded: boolean;
  /**
   * One optimizer update at learning rate `lr` on `batch` (of `size` rows), made by the replicas
   * in shared memory (the sharded update); the model's weights (and batch-norm statistics) are
   * the new ones when it resolves. When the loss is not finite nothing is updated (`applied` false).
   * @throws {FuseflowError} with the replica's message when a slice fails; no weight changes then.
   * @throws {OptionsError} on a pool without an optimizer.
   */
  step(batch: Sample, size: number, step: number, lr: number): Promise<ReplicaUpdate>;
  /** Stops the threads. */
  close(): Promise<void>;
}

interface Replica {
  readonly worker: Worker;
  pending: { resolve: (r: ReplicaReply) => void; reject: (e: Error) => void } | null;
  failure: Error | null;
}

/**
 * Starts `threads` replicas of `model` and waits until each has built it.
 * @example const pool = await createReplicaPool({ model, losses, threads: 2 });
 * @throws {OptionsError} for fewer than 2 threads or a hand-written loss.
 * @throws {FuseflowError} when a replica cannot build the model.
 */
export async function createReplicaPool(options: ReplicaPoolOptions): Promise<ReplicaPool> {
  const { model, threads } = options;
  if (!Number.isInteger(threads) || threads < 2) throw new OptionsError(`replica pool: threads must be an integer ≥ 2, got ${threads}`);
  const specs = lossSpecs(options.losses);
  const layout: WeightLayout = weightLayout(model);
  const weightsSab = new SharedArrayBuffer(layout.weightFloats * 4);
  const gradsSab = new SharedArrayBuffer(layout.regionFloats * threads * 4);
  const weights = new Float32Array(weightsSab);
  const regions = Array.from({ length: threads }, (_, i) => new Float32Array(gradsSab, i * layout.regionFloats * 4, layout.regionFloats));
  const entry = workerEntry(import.meta.url, './replica-worker');
  // from TypeScript sources, Node 20 ignores `--import tsx` in workers: a bootstrap registers tsx
  const filename = entry.filename.endsWith('.ts') ? fileURLToPath(new URL('./replica-worker-tsx.mjs', import.meta.url)) : entry.filename;
  const topology = model.net.toJSON(undefined, false);
  const shared = options.optimizer?.share() ?? null;
  if (shared !== null && shared.floats !== layout.gradFloats) {
    throw new OptionsError(`replica pool: the optimizer holds ${shared.floats} elements, the model's trainable variables ${layout.gradFloats}`);
  }
  if (options.clipNorm !== undefined && !(options.clipNorm > 0)) throw new OptionsError(`replica pool: clipNorm must be > 0, got ${options.clipNorm}`);
  const control = new Int32Array(new SharedArrayBuffer(CONTROL.words * 4));
  const update: ShardedUpdateInit | undefined =
    shared === null
      ? undefined
      : {
          threads,
          config: shared.config,
          lrScales: shared.lrScales,
          slots: shared.slots,
          clipNorm: options.clipNorm ?? null,
          control: control.buffer,
          scratch: new SharedArrayBuffer(2 * threads * 8),
        };
  const replicas: Replica[] = Array.from({ length: threads }, (_, index) => {
    const init: ReplicaInit = {
      index,
      backend: options.backend ?? 'wasm',
      topology,
      binding: model.binding,
      losses: specs,
      layout,
      weights: weightsSab,
      grads: gradsSab,
      ...(update === undefined ? {} : { update }),
    };
    const replica: Replica = { worker: new Worker(filename, { workerData: init }), pending: null, failure: null };
    const fail = (err: Error): void => {
      replica.failure = err;
      // replicas waiting at a barrier for this one give up
      Atomics.store(control, CONTROL.abort, 1);
      Atomics.notify(control, CONTROL.arrive);
      replica.pending?.reject(err);
      replica.pending = null;
    };
    replica.worker.on('message', (r: ReplicaReply) => {
      const p = replica.pending;
      replica.pending = null;
      p?.resolve(r);
    });
    replica.worker.on('error', (err) => fail(new FuseflowError(`replica ${index} crashed: ${err.message}`, { cause: err })));
    replica.worker.on('exit', (code) => fail(new FuseflowError(`replica ${index} exited (code ${code})`)));
    return replica;
  });
  // `keep`: the caller's buffers. A slice's typed arrays are fresh copies (moved to the replica, not
  // copied again); a value the slice holds whole (a run constant) may be the caller's: copied.
  const ask = (r: Replica, msg: ReplicaStep | ReplicaIdle | null, keep: ReadonlySet<ArrayBufferLike> = new Set()): Promise<ReplicaReply> =>
    new Promise<ReplicaReply>((resolve, reject) => {
      if (r.failure !== null) return reject(r.failure);
      r.pending = { resolve, reject };
      if (msg !== null) r.worker.postMessage(msg, msg.batch === null ? [] : transferablesOf(msg.batch, keep));
    });
  const close = async (): Promise<void> => {
    await Promise.all(replicas.map((r) => r.worker.terminate()));
  };
  const started = await Promise.allSettled(replicas.map((r) => ask(r, null)));
  const bad = started.map((s) => (s.status === 'rejected' ? (s.reason as Error).message : s.value.kind === 'error' ? s.value.message : null)).find((m) => m !== null);
  if (bad !== undefined && bad !== null) {
    await close();
    throw new FuseflowError(bad);
  }

  const stateWeights = model.net.weights.filter((_, i) => layout.weights[i]?.trainable === false);
  // What the sharded update changes: the trainable variables and the state weights.
  const variables = model.trainableVariables();
  const stateAt = model.net.weights.flatMap((w, i) => (layout.weights[i]?.trainable === false ? [{ w, at: layout.weights[i] }] : []));
  // The shared weights hold the model's once the first sharded step copied them in.
  let primed = false;
  const readBack = (): void => {
    variables.forEach((v, i) => {
      const g = layout.grads[i] as WeightLayout['grads'][number];
      const t = tf.tensor(weights.subarray(g.weightOffset, g.weightOffset + g.size), v.shape);
      v.assign(t);
      t.dispose();
    });
    for (const { w, at } of stateAt) {
      const t = tf.tensor(weights.subarray(at.offset, at.offset + at.size), w.shape as number[]);
      w.write(t);
      t.dispose();
    }
  };
  return {
    threads,
    sharded: shared !== null,
    async step(batch, size, step, lr) {
      if (shared === null || options.optimizer === undefined) throw new OptionsError('replica pool: step needs a pool created with an optimizer');
      const t0 = performance.now();
      const reload = !primed;
      if (!primed) {
        model.net.weights.forEach((w, i) => weights.set(w.read().dataSync(), layout.weights[i]?.offset ?? 0));
        primed = true;
      }
      Atomics.store(control, CONTROL.failed, 0);
      const slices = sliceBatch(batch, size, threads);
      const keep = buffersIn(batch);
      const shares = slices.map((s) => (s.end - s.start) / size);
      const u = { lr, optStep: options.optimizer.step + 1, shares, reload };
      const asked = replicas.map((r, k) => {
        const s = slices[k];
        return ask(r, s === undefined ? { batch: null, scale: 0, step, update: u } : { batch: s.batch, scale: (s.end - s.start) / size, step, update: u }, keep);
      });
      const t1 = performance.now();
      const replies = await Promise.all(asked);
      const t2 = performance.now();
      Atomics.load(control, CONTROL.done); // orders the reads below after the replicas' updates
      const failed = replies.find((r) => r.kind !== 'done');
      if (failed !== undefined) throw new FuseflowError(failed.kind === 'error' ? failed.message : `a replica answered '${failed.kind}'`);
      const done = replies as Extract<ReplicaReply, { kind: 'done' }>[];
      let total = 0;
      const terms = new Array<number>(options.losses.length).fill(0);
      shares.forEach((w, k) => {
        const r = done[k] as (typeof done)[number];
        total += w * r.total;
        r.terms.forEach((t, j) => (terms[j] = (terms[j] as number) + w * t));
      });
      const applied = (done[0] as (typeof done)[number]).applied;
      if (applied) {
        shared.advance();
        readBack();
      }
      return { total, terms, applied, replicaMs: done.map((r) => r.ms), phases: done.map((r) => r.phases), mainMs: t1 - t0 + (performance.now() - t2) };
    },
    async gradients(batch, size, step) {
      model.net.weights.forEach((w, i) => weights.set(w.read().dataSync(), layout.weights[i]?.offset ?? 0));
      primed = true;
      const slices = sliceBatch(batch, size, threads);
      const keep = buffersIn(batch);
      const replies = await Promise.all(slices.map((s, k) => ask(replicas[k] as Replica, { batch: s.batch, scale: (s.end - s.start) / size, step }, keep)));
      const replicaMs: number[] = [];
      let total = 0;
      const terms = new Array<number>(options.losses.length).fill(0);
      const sum = new Float32Array(layout.regionFloats);
      // Fixed order: slice 0, then 1, …; the state part (batch-norm statistics) row-weighted.
      slices.forEach((s, k) => {
        const r = replies[k] as ReplicaReply;
        if (r.kind !== 'done') throw new FuseflowError(r.kind === 'error' ? r.message : `replica ${k} answered '${r.kind}'`);
        const w = (s.end - s.start) / size;
        replicaMs.push(r.ms);
        total += w * r.total;
        r.terms.forEach((t, j) => (terms[j] = (terms[j] as number) + w * t));
        const region = regions[k] as Float32Array;
        for (let j = 0; j < layout.gradFloats; j++) sum[j] = (sum[j] as number) + (region[j] as number);
        for (let j = layout.gradFloats; j < layout.regionFloats; j++) sum[j] = (sum[j] as number) + w * (region[j] as number);
      });
      let at = layout.gradFloats;
      for (const sw of stateWeights) {
        const n = sw.shape.reduce<number>((a, d) => a * (d ?? 1), 1);
        const t = tf.tensor(sum.subarray(at, at + n), sw.shape as number[]);
        sw.write(t);
        t.dispose();
        at += n;
      }
      const grads = model.trainableVariables().map((v, i) => {
        const g = layout.grads[i] as WeightLayout['grads'][number];
        return tf.tensor(sum.subarray(g.offset, g.offset + g.size), v.shape);
      });
      primed = false; // the caller updates the model's weights: the next sharded step copies them in
      return { total, terms, grads, replicaMs };
    },
    close,
  };
}
