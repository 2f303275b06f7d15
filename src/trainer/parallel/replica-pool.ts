/**
 * Data-parallel training: `threads` participants each compute the gradients of a fixed slice of
 * every batch (`slice-batch.ts`). Participant 0 is this (the main) thread, on its own model;
 * participants 1…N−1 are replicas of the model on worker threads (`replica-worker.ts`). All run
 * the same slice code (`slice-gradients.ts`) and write their gradients into their own region of
 * the pool's shared memory (`pool-memory.ts`: one shared WebAssembly memory holding the weights,
 * the regions and the optimizer's slots); weights and gradients are shared, never copied into
 * messages. Messages only carry each replica's batch slice and, back, its loss values.
 *
 * With an optimizer given (fit's default when it does not accumulate) the update is sharded:
 * the participants meet at a barrier once their gradients are written, and each sums its own
 * part of the regions in a fixed order (slice 0 + slice 1 + …) and applies the optimizer
 * (Adam/AdamW, SGD with momentum/Nesterov, weight decay, parameter-group rates, clipping by the
 * global norm) to its part of the weights and slots in shared memory (`shard-step.ts`,
 * `sharded-update.ts`); a last barrier marks every part done, then this thread reads the new
 * weights into its model (`model-weights.ts`) while each replica loads them into its own. Without an optimizer
 * ({@link ReplicaPool.gradients}) this thread sums the regions in the same order and returns the
 * sum, on which the caller applies its update. The sharded update repeats the tfjs update's
 * float32 ops, so it equals the main-thread update bit for bit (clipping: to float rounding, its
 * norm is summed in double); with 2 threads and Adam it runs in WebAssembly SIMD over that
 * memory (`adam-simd.ts`, same bits). Results are bit-identical between runs with the same `threads`, and
 * to the earlier design in which slice 0 too ran on a worker (same slice code, same losses rebuilt
 * from their specs, same backend and kernels); with other counts they differ by float rounding
 * only, for losses that are means over rows (cross-entropy, BCE, focal, MSE): the gradient of the
 * batch mean is the row-weighted sum of the slices' mean gradients.
 *
 * Why this thread computes a slice instead of waiting on N workers (the earlier design): on the
 * 2-core machine the 2-thread process then runs 2 computing V8 isolates, not 3, so one isolate's
 * GC and its compiler helpers (whose CPU ate ~12% of the second core) are gone; this thread's
 * isolate is the one a 1-thread run has already warmed; and a batch hand-off is saved. This thread
 * waits at the barriers with `Atomics.waitAsync` (`shard-barrier.ts`), so its event loop still
 * hears a replica that dies and wakes the others with `CONTROL.abort` instead of hanging.
 *
 * Not exact across thread counts: batch norm normalises each slice with its own statistics
 * (per-replica, as PyTorch's DataParallel without SyncBatchNorm); the moving statistics kept are
 * the row-weighted mean of the participants' (the moving mean equals one thread's, the moving
 * variance lacks the between-slice part). Dice is a ratio over the batch: with threads it is the
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
import * as tf from '@tensorflow/tfjs';
import { FuseflowError, OptionsError } from '../../core/errors.js';
import type { Sample } from '../../core/sample.js';
import { buffersIn } from '../../workers/transfer-list.js';
import type { BackendName } from '../backend.js';
import type { Loss } from '../losses/loss.js';
import type { DictModel } from '../models/dict-model.js';
import type { Optimizer } from '../optim/optimizer.js';
import { lossFromSpec, lossSpecs } from './loss-from-spec.js';
import { sharedModelWeights } from './model-weights.js';
import { placePoolMemory, poolViews } from './pool-memory.js';
import { CONTROL, type ReplicaInit, type ReplicaPhases, type WeightLayout } from './replica-protocol.js';
import { startReplicaThreads } from './replica-threads.js';
import { shardBarrier } from './shard-barrier.js';
import { runShardStepAsync, shardContext, shardStep, type ShardStepContext, type ShardStepOutcome } from './shard-step.js';
import { sliceBatch } from './slice-batch.js';
import { sliceGradients, type SliceLoss } from './slice-gradients.js';
import { doneOf, lossOf, type ReplicaDone } from './slice-results.js';
import { sumRegions } from './sum-regions.js';
import { threadCpuMs } from './thread-cpu.js';
import { weightLayout } from './weight-layout.js';

/** Options of {@link createReplicaPool}. */
export interface ReplicaPoolOptions {
  /** The model; its topology, binding and current weights are what the replicas hold; this thread computes slice 0 on it. Required. */
  readonly model: DictModel;
  /** Built-in losses (rebuilt from their spec, on this thread as on each replica). Required. */
  readonly losses: readonly Loss[];
  /** Participants (this thread and `threads − 1` worker threads), ≥ 2. Required. */
  readonly threads: number;
  /** Backend each replica trains on; must be this thread's (`tf.getBackend()`), which computes slice 0. Default: this thread's. */
  readonly backend?: BackendName;
  /**
   * The optimizer over `model.trainableVariables()`: given, the participants apply its updates
   * (the sharded update, {@link ReplicaPool.step}) and its slots move to shared memory. Default
   * none: only {@link ReplicaPool.gradients}.
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
  /** Each participant's own time on the step in ms (index 0: this thread's slice and part of the update). */
  readonly replicaMs: readonly number[];
  /** Each participant's time by phase (diagnostic; index 0: this thread, whose `cpu` is its whole step's). */
  readonly phases: readonly ReplicaPhases[];
  /** This thread's ms besides its slice and update part: slicing and posting the batch, reading the weights back, the replies. */
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
  /** Each participant's own time on its slice in ms (index 0: this thread's). */
  readonly replicaMs: readonly number[];
}

/** This thread and the replica threads, computing slices of a model's batches together. */
export interface ReplicaPool {
  /** Participants: this thread and `threads − 1` worker threads. */
  readonly threads: number;
  /**
   * The gradients of `batch` (of `size` rows) at the model's current weights; also copies the
   * participants' batch-norm statistics into the model.
   * @throws {FuseflowError} with the slice's message when a slice fails (bad batch, dead thread).
   */
  gradients(batch: Sample, size: number, step: number): Promise<ReplicaGradients>;
  /** True when the pool was given an optimizer: {@link ReplicaPool.step} is available. */
  readonly sharded: boolean;
  /**
   * One optimizer update at learning rate `lr` on `batch` (of `size` rows), made by the
   * participants in shared memory (the sharded update); the model's weights (and batch-norm
   * statistics) are the new ones when it resolves. When the loss is not finite nothing is updated
   * (`applied` false).
   * @throws {FuseflowError} with the slice's message when a slice fails; no weight changes then.
   * @throws {OptionsError} on a pool without an optimizer.
   */
  step(batch: Sample, size: number, step: number, lr: number): Promise<ReplicaUpdate>;
  /** Stops the threads. */
  close(): Promise<void>;
}

/**
 * Starts `threads − 1` replicas of `model` on worker threads and waits until each has built it.
 * @example const pool = await createReplicaPool({ model, losses, threads: 2 });
 * @throws {OptionsError} for fewer than 2 threads, a hand-written loss, or a backend other than this thread's.
 * @throws {FuseflowError} when a replica cannot build the model.
 */
export async function createReplicaPool(options: ReplicaPoolOptions): Promise<ReplicaPool> {
  const { model, threads } = options;
  if (!Number.isInteger(threads) || threads < 2) throw new OptionsError(`replica pool: threads must be an integer ≥ 2, got ${threads}`);
  const specs = lossSpecs(options.losses);
  const here = tf.getBackend();
  if (here !== 'wasm' && here !== 'cpu' && here !== 'tensorflow') throw new OptionsError(`replica pool: needs the wasm, cpu or tensorflow backend on this thread, not '${here}'`);
  if (options.backend !== undefined && options.backend !== here) {
    throw new OptionsError(`replica pool: backend '${options.backend}' differs from this thread's '${here}', which computes slice 0: pass '${here}' or switch this thread first`);
  }
  const layout: WeightLayout = weightLayout(model);
  const { mem, shared, update, control } = placePoolMemory(layout, threads, options.optimizer, options.clipNorm);
  const { weights, regions } = poolViews(mem, layout, threads);
  const topology = model.net.toJSON(undefined, false);
  const inits = Array.from({ length: threads - 1 }, (_, j): ReplicaInit => ({
    index: j + 1,
    backend: here,
    topology,
    binding: model.binding,
    losses: specs,
    layout,
    memory: mem,
    ...(update === undefined ? {} : { update }),
  }));
  const replicas = await startReplicaThreads(inits, control);

  // This thread is participant 0: slice 0 on its own model, with the losses rebuilt as on the replicas.
  const compute = sliceGradients({ model, losses: specs.map(lossFromSpec), layout, region: regions[0] as Float32Array });
  const shard: ShardStepContext | null = update === undefined ? null : shardContext(0, update, layout, { weights, regions }, mem);
  const barrier = shardBarrier(control, threads, 'replica pool (this thread)');
  // The shared weights hold the model's once the first sharded step copied them in; after that
  // the model is kept equal to them (read back after every sharded step).
  const sync = sharedModelWeights(model, layout, weights);
  let primed = false;
  /** `gradients`' sum of the regions, kept between calls (its tensors are copies). */
  let sum: Float32Array | undefined;
  // Set when a sharded step was aborted: the participants' barrier counts no longer agree.
  let broken: FuseflowError | null = null;
  const deadReplica = (): void => {
    const dead = broken ?? replicas.failure();
    if (dead !== null) throw dead;
  };
  /** Slice 0 on this thread; a failure is kept (the step goes on to its barriers) rather than thrown. */
  const ownSlice = (batch: Sample | undefined, scale: number, step: number): { values: SliceLoss; failure: Error | null; ms: number } => {
    const t0 = performance.now();
    if (batch === undefined) return { values: { total: 0, terms: [] }, failure: null, ms: 0 };
    try {
      return { values: compute(batch, scale, step), failure: null, ms: performance.now() - t0 };
    } catch (err) {
      return { values: { total: 0, terms: [] }, failure: err instanceof Error ? err : new Error(String(err)), ms: performance.now() - t0 };
    }
  };
  return {
    threads,
    sharded: shared !== null,
    async step(batch, size, step, lr) {
      if (shared === null || shard === null || options.optimizer === undefined) throw new OptionsError('replica pool: step needs a pool created with an optimizer');
      deadReplica();
      const c0 = threadCpuMs();
      const t0 = performance.now();
      const reload = !primed;
      if (!primed) {
        sync.toShared();
        primed = true;
      }
      Atomics.store(control, CONTROL.failed, 0);
      const slices = sliceBatch(batch, size, threads);
      const keep = buffersIn(batch);
      const shares = slices.map((s) => (s.end - s.start) / size);
      const u = { lr, optStep: options.optimizer.step + 1, shares, reload };
      // A slice that cannot be posted (structured clone refuses a value) or a replica that dies
      // rejects its request: the barrier is aborted so that no participant waits for it.
      let handOff: Error | null = null;
      const asked = inits.map((_, j) => {
        const s = slices[j + 1];
        const asking = replicas.ask(j, s === undefined ? { batch: null, scale: 0, step, update: u } : { batch: s.batch, scale: (s.end - s.start) / size, step, update: u }, keep);
        asking.catch((err: unknown) => {
          handOff ??= err instanceof Error ? err : new Error(String(err));
          Atomics.store(control, CONTROL.abort, 1);
          Atomics.notify(control, CONTROL.arrive);
        });
        return asking;
      });
      const t1 = performance.now();
      const own = ownSlice(slices[0]?.batch, shares[0] ?? 0, step);
      if (own.failure !== null) Atomics.store(control, CONTROL.failed, 1);
      const t2 = performance.now();
      let outcome: ShardStepOutcome;
      try {
        outcome = await runShardStepAsync(shardStep(shard, u, own.values.total), () => barrier.waitAsync());
      } catch (err) {
        // a replica died or could not be handed its slice (abort), or this thread failed between
        // barriers: the others must not wait for it, and the barrier's count is lost for good
        Atomics.store(control, CONTROL.abort, 1);
        Atomics.notify(control, CONTROL.arrive);
        await Promise.allSettled(asked);
        const cause = replicas.failure() ?? handOff ?? (err as Error);
        broken = new FuseflowError(`replica pool: the sharded step failed: ${cause.message}`, { cause });
        throw broken;
      }
      const { applied, waited } = outcome;
      const t3 = performance.now();
      // the model equals the shared weights again: updated, or (not applied) as before the step,
      // undoing what this thread's forward did to its batch-norm statistics
      sync.fromShared();
      if (applied) shared.advance();
      const replies = await Promise.all(asked);
      Atomics.load(control, CONTROL.done); // orders the reads below after the replicas' updates
      if (own.failure !== null) throw new FuseflowError(own.failure.message, { cause: own.failure });
      const done = doneOf(replies);
      const { total, terms } = lossOf(shares, [own.values, ...done], options.losses.length);
      const mainPhases: ReplicaPhases = { load: 0, compute: t2 - t1, wait: waited, update: t3 - t2 - waited, cpu: threadCpuMs() - c0 };
      return {
        total,
        terms,
        applied,
        replicaMs: [t3 - t1, ...done.map((r) => r.ms)],
        phases: [mainPhases, ...done.map((r) => r.phases)],
        mainMs: t1 - t0 + (performance.now() - t3),
      };
    },
    async gradients(batch, size, step) {
      deadReplica();
      sync.toShared();
      primed = true;
      const slices = sliceBatch(batch, size, threads);
      const keep = buffersIn(batch);
      const shares = slices.map((s) => (s.end - s.start) / size);
      const asked = slices.slice(1).map((s, j) => replicas.ask(j, { batch: s.batch, scale: (s.end - s.start) / size, step }, keep));
      const own = ownSlice(slices[0]?.batch, shares[0] ?? 0, step);
      const settled = await Promise.allSettled(asked);
      let done: ReplicaDone[];
      try {
        if (own.failure !== null) throw new FuseflowError(own.failure.message, { cause: own.failure });
        done = doneOf(settled.map((s) => (s.status === 'rejected' ? { kind: 'error', message: (s.reason as Error).message } : s.value)));
      } catch (err) {
        sync.fromShared(); // this thread's forward may have moved its batch-norm statistics
        throw err;
      }
      const { total, terms } = lossOf(shares, [own.values, ...done], options.losses.length);
      sum ??= new Float32Array(layout.regionFloats);
      const grads = sync.fromSum(sumRegions(layout, regions, shares, sum));
      primed = false; // the caller updates the model's weights: the next sharded step copies them in
      return { total, terms, grads, replicaMs: [own.ms, ...done.map((r) => r.ms)] };
    },
    close: () => replicas.close(),
  };
}
