/**
 * The step stage (Lightning's `training_step` + optimizer step): one optimisation step on one
 * batch. On this thread it runs forward, the weighted losses and backward under
 * `tf.variableGrads`; with a replica pool this thread and the replicas compute the batch's summed
 * gradients instead, a slice each. Either way the gradients are clipped (when asked) and the optimizer applies one update
 * at the given learning rate — on this thread, or, with a pool that holds the optimizer (the
 * sharded update, `accumulate` 1), on this thread and the replicas, each over its part of the weights. A loss that is NaN or infinite stops training before any update.
 * Every tensor the step makes is disposed after a step and after a non-finite loss; a batch that
 * fails inside the forward pass (missing key, wrong shape) leaves that pass's intermediate
 * tensors behind, as `tf.variableGrads` does not release them when its function throws.
 */
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { getOr, SAMPLE_ID_KEY, type Sample } from '../../core/sample.js';
import { totalLoss, type Loss } from '../losses/loss.js';
import type { DictModel } from '../models/dict-model.js';
import { clipByGlobalNormAsync } from '../optim/clip-gradients.js';
import { withGpuErrorScope } from '../webgpu-guard.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { ReplicaPool } from '../parallel/replica-pool.js';
import { OptionsError } from '../../core/errors.js';
import { TrainingError } from '../training-error.js';

/** Options of {@link trainingStep}. */
export interface TrainingStepOptions {
  /** The model trained. Required. */
  readonly model: DictModel;
  /** Loss terms; the total is their weighted sum. Required. */
  readonly losses: readonly Loss[];
  /** The model's trainable variables, in the optimizer's order. Required. */
  readonly variables: readonly tf.Variable[];
  /** The optimizer over `variables`. Required. */
  readonly optimizer: Optimizer;
  /** Clip gradients to this global L2 norm. Default none. */
  readonly clipNorm?: number;
  /**
   * Replicas computing the gradients on worker threads. Default null: this thread computes them.
   * A pool created with the optimizer (and `clipNorm`) applies the update itself when `accumulate` is 1.
   */
  readonly pool?: ReplicaPool | null;
  /** The run's `last.ckpt`: a non-finite loss's message says whether it is there to resume from. Required. */
  readonly lastPath: string;
  /**
   * Micro-batches per update (gradient accumulation): the gradients of `accumulate` batches are
   * summed weighted by their rows and divided by the rows in all, so that for losses that are
   * means over rows the update equals one on the concatenated batch. Default 1 (every batch
   * updates, exactly as before).
   */
  readonly accumulate?: number;
}

/** Where a step is (named by its errors; `step` is also the forward context's step). */
export interface StepAt {
  readonly epoch: number;
  readonly step: number;
}

/**
 * One micro-batch: the gradients of `batch` (of `rows` rows); with `accumulate` 1, or when this
 * batch completes an accumulation group, one optimizer update at learning rate `lr`. Resolves with
 * the loss values (`total`, then each loss by name, unweighted). `pending` says how many
 * micro-batches wait in the accumulator (0 right after an update); `flush` applies a partial
 * group (the end of an epoch); `dispose` drops the accumulator.
 */
export interface TrainingStep {
  (batch: Sample, rows: number, at: StepAt, lr: number): Promise<Record<string, number>>;
  /** Micro-batches accumulated since the last update. */
  readonly pending: number;
  /** Applies the accumulated micro-batches as one update (no-op when none wait); true when it applied one. */
  flush(lr: number): Promise<boolean>;
  /** Disposes the accumulated gradients (without applying them). */
  dispose(): void;
}

/**
 * The step function of a run.
 * @example
 * const step = trainingStep({ model, losses, variables, optimizer, lastPath: 'runs/a/last.ckpt' });
 * const values = await step(batch, 32, { epoch: 0, step: 0 }, 1e-3); // { total: 0.69, crossEntropy: 0.69 }
 * @throws {TrainingError} (from the step) naming epoch and step when the batch fails (missing
 *   key, shape the model does not take, a replica's failure) or the loss is NaN or infinite
 *   (then with the first batch ids and whether `lastPath` is there; no update is applied).
 */
export function trainingStep(options: TrainingStepOptions): TrainingStep {
  const { model, losses, variables, optimizer, lastPath } = options;
  const pool = options.pool ?? null;
  const accumulate = options.accumulate ?? 1;
  if (!Number.isInteger(accumulate) || accumulate < 1) throw new OptionsError(`fit: accumulate must be a positive integer, got ${accumulate}`);
  // Row-weighted gradient sums of the micro-batches since the last update, and their rows.
  let acc: tf.Tensor[] | null = null;
  let accRows = 0;
  let pending = 0;

  // Values are read back asynchronously (the loss, the clipping norm): tfjs's WebGPU backend has
  // no synchronous read in Node, and on the CPU backends the result is the same.
  const applyGradients = async (grads: readonly tf.Tensor[], lr: number): Promise<void> => {
    if (options.clipNorm !== undefined) {
      const clipped = await clipByGlobalNormAsync(grads, options.clipNorm);
      optimizer.apply(clipped.grads, lr);
      tf.dispose(clipped.grads);
    } else {
      optimizer.apply(grads, lr);
    }
  };

  const lossNotFinite = (batch: Sample, at: StepAt, total: number, termValues: readonly number[]): TrainingError => {
    const last = existsSync(lastPath) ? `the last good checkpoint ${lastPath} is left intact` : 'no checkpoint had been written yet';
    const ids = getOr<unknown>(batch, SAMPLE_ID_KEY, undefined);
    const idText = Array.isArray(ids) ? `; batch ids ${ids.slice(0, 8).join(', ')}${ids.length > 8 ? ', …' : ''}` : '';
    return new TrainingError(`loss is ${total} (${losses.map((l, i) => `${l.name}=${termValues[i]}`).join(', ')})${idText}; training stopped, ${last}`, {
      epoch: at.epoch,
      step: at.step,
    });
  };

  /** Applies `grads` (of a batch of `rows` rows) now, or adds them to the accumulation group; disposes them. */
  const take = async (grads: tf.Tensor[], rows: number, lr: number): Promise<void> => {
    if (accumulate === 1) {
      try {
        await applyGradients(grads, lr);
      } finally {
        tf.dispose(grads);
      }
      return;
    }
    const weighted = tf.tidy(() => grads.map((g, i) => (acc === null ? tf.mul(g, rows) : tf.add(acc[i] as tf.Tensor, tf.mul(g, rows)))));
    tf.dispose(grads);
    if (acc !== null) tf.dispose(acc);
    acc = weighted;
    accRows += rows;
    pending += 1;
    if (pending === accumulate) await flush(lr);
  };

  /** Applies the accumulated group as one update: the row-weighted mean of its gradients. */
  const flush = async (lr: number): Promise<boolean> => {
    if (acc === null) return false;
    const sums = acc;
    const mean = tf.tidy(() => sums.map((g) => tf.div(g, accRows)));
    tf.dispose(sums);
    acc = null;
    accRows = 0;
    pending = 0;
    try {
      await applyGradients(mean, lr);
    } finally {
      tf.dispose(mean);
    }
    return true;
  };

  /** One micro-batch on this thread: forward, losses, backward; its gradients go to {@link take}. */
  const localStep = async (batch: Sample, rows: number, at: StepAt, lr: number): Promise<Record<string, number>> => {
    // Each micro-batch of a group has its own forward step (seeded dropout draws a new mask); with
    // accumulate 1 this is the optimizer step.
    const ctx = { step: at.step * accumulate + pending, phase: 'train' };
    let termsKept: tf.Tensor | null = null;
    let result: { value: tf.Scalar; grads: tf.NamedTensorMap };
    try {
      result = tf.variableGrads(() => {
        const outputs = model.forward(batch, { ...ctx, training: true });
        const { total, terms } = totalLoss(losses, batch, outputs, ctx);
        termsKept = tf.keep(tf.stack(Object.values(terms)));
        return total;
      }, [...variables]);
    } catch (err) {
      throw new TrainingError((err as Error).message, { epoch: at.epoch, step: at.step }, { cause: err });
    }
    const grads = variables.map((v) => result.grads[v.name] as tf.Tensor);
    const kept = termsKept as tf.Tensor | null; // assigned inside the closure above
    const [totalData, termData] = await Promise.all([result.value.data(), kept === null ? null : kept.data()]);
    const total = (totalData as Float32Array)[0] as number;
    const termValues = termData === null ? [] : Array.from(termData as Float32Array);
    const out: Record<string, number> = { total };
    losses.forEach((l, i) => (out[l.name] = termValues[i] as number));
    if (!Number.isFinite(total)) {
      tf.dispose([result.value, ...grads, ...(termsKept === null ? [] : [termsKept])]);
      throw lossNotFinite(batch, at, total, termValues);
    }
    tf.dispose([result.value, ...(termsKept === null ? [] : [termsKept])]);
    await take(grads, rows, lr);
    return out;
  };

  /** One step on the replicas: their summed gradients, one optimizer update here. */
  const parallelStep = async (replicas: ReplicaPool, batch: Sample, rows: number, at: StepAt, lr: number): Promise<Record<string, number>> => {
    if (replicas.sharded && accumulate === 1) {
      // the replicas apply the update themselves (sharded, clipping included: the pool's clipNorm)
      let update: Awaited<ReturnType<ReplicaPool['step']>>;
      try {
        update = await replicas.step(batch, rows, at.step, lr);
      } catch (err) {
        throw new TrainingError((err as Error).message, { epoch: at.epoch, step: at.step }, { cause: err });
      }
      const values: Record<string, number> = { total: update.total };
      losses.forEach((l, i) => (values[l.name] = update.terms[i] as number));
      if (!Number.isFinite(update.total)) throw lossNotFinite(batch, at, update.total, update.terms);
      return values;
    }
    let result: Awaited<ReturnType<ReplicaPool['gradients']>>;
    try {
      result = await replicas.gradients(batch, rows, at.step * accumulate + pending);
    } catch (err) {
      throw new TrainingError((err as Error).message, { epoch: at.epoch, step: at.step }, { cause: err });
    }
    const out: Record<string, number> = { total: result.total };
    losses.forEach((l, i) => (out[l.name] = result.terms[i] as number));
    if (!Number.isFinite(result.total)) {
      tf.dispose(result.grads);
      throw lossNotFinite(batch, at, result.total, result.terms);
    }
    await take(result.grads, rows, lr);
    return out;
  };

  const run = async (batch: Sample, rows: number, at: StepAt, lr: number): Promise<Record<string, number>> =>
    pool === null ? withGpuErrorScope(`training step ${at.step} of epoch ${at.epoch}`, () => localStep(batch, rows, at, lr)) : parallelStep(pool, batch, rows, at, lr);
  const dispose = (): void => {
    if (acc !== null) tf.dispose(acc);
    acc = null;
    accRows = 0;
    pending = 0;
  };
  // `pending` stays a live getter (Object.assign would copy its value once).
  Object.defineProperty(run, 'pending', { get: () => pending, enumerable: true });
  // the epoch's closing update (a partial accumulation group) is checked like a step
  const closingFlush = (lr: number): Promise<boolean> => withGpuErrorScope('the accumulated update at the end of an epoch', () => flush(lr));
  return Object.assign(run, { flush: closingFlush, dispose }) as TrainingStep;
}
