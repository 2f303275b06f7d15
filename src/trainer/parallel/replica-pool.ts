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
import type { BackendName } from '../backend.js';
import type { Loss } from '../losses/loss.js';
import type { DictModel } from '../models/dict-model.js';
import { lossSpecs } from './loss-from-spec.js';
import type { ReplicaInit, ReplicaReply, ReplicaStep, WeightLayout } from './replica-protocol.js';
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
  const replicas: Replica[] = Array.from({ length: threads }, (_, index) => {
    const init: ReplicaInit = { index, backend: options.backend ?? 'wasm', topology, binding: model.binding, losses: specs, layout, weights: weightsSab, grads: gradsSab };
    const replica: Replica = { worker: new Worker(filename, { workerData: init }), pending: null, failure: null };
    const fail = (err: Error): void => {
      replica.failure = err;
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
  const ask = (r: Replica, msg: ReplicaStep | null): Promise<ReplicaReply> =>
    new Promise<ReplicaReply>((resolve, reject) => {
      if (r.failure !== null) return reject(r.failure);
      r.pending = { resolve, reject };
      if (msg !== null) r.worker.postMessage(msg);
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
  return {
    threads,
    async gradients(batch, size, step) {
      model.net.weights.forEach((w, i) => weights.set(w.read().dataSync(), layout.weights[i]?.offset ?? 0));
      const slices = sliceBatch(batch, size, threads);
      const replies = await Promise.all(slices.map((s, k) => ask(replicas[k] as Replica, { batch: s.batch, scale: (s.end - s.start) / size, step })));
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
      return { total, terms, grads, replicaMs };
    },
    close,
  };
}
