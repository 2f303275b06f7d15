/**
 * The fit loop (FuseMedML's LightningModuleDefault + Trainer.fit): pulls collated batches from
 * an AsyncIterable (the stream's credit window is the only buffer; one batch is held at a
 * time), runs forward + weighted losses + backward, clips, applies the optimizer with the
 * scheduled learning rate; after each epoch validates (losses and evaluator metrics), logs one
 * JSONL line, writes `best.ckpt` when the monitored value improves and `last.ckpt` always, and
 * stops early when asked. `resume: true` continues exactly from `last.ckpt` — weights,
 * optimizer slots and step, epoch, stream position (samples already consumed this epoch),
 * seed, best value, early-stopping count and the epoch's running sums — so a killed run ends
 * with the same weights as an uninterrupted one; it first checks the run's recorded
 * configuration (see {@link fitConfig}) and names the first field that differs. A new run
 * never reuses a folder that holds a run's files (`trainer/run-folder`'s list, the one
 * `fuseflow train` uses): it is refused, naming the files, unless `resume: true` or
 * `overwrite: true` (which removes only those files). Files are written through `core/safe-fs`
 * (checkpoints atomically, the log never through a link). Every tensor it makes is disposed.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { OptionsError } from '../core/errors.js';
import { appendFileNoFollow } from '../core/safe-fs.js';
import { getOr, SAMPLE_ID_KEY, setKeys, type Sample } from '../core/sample.js';
import { evaluate } from '../eval/evaluate.js';
import type { Metric, MetricResults } from '../eval/metric.js';
import { useBackend, type BackendName } from './backend.js';
import { batchSizeAt } from './batch-input.js';
import { readCheckpoint, restoreWeights, saveCheckpoint } from './checkpoint.js';
import { addColumns, type Columns } from './eval-columns.js';
import { checkLossNames, totalLoss, type Loss } from './losses/loss.js';
import type { DictModel } from './models/dict-model.js';
import { clipByGlobalNorm } from './optim/clip-gradients.js';
import { lrSchedule, type LrScheduleConfig } from './optim/lr-schedule.js';
import { createOptimizer, type OptimizerConfig } from './optim/optimizer.js';
import { progressBar, type ProgressBar } from './progress-bar.js';
import { checkRunConfig, type RunConfig } from './run-config.js';
import { claimRunFolder } from './run-folder.js';
import { TrainingError } from './training-error.js';
import { computeThreads } from './parallel/compute-threads.js';
import { lossSpecs } from './parallel/loss-from-spec.js';
import { createReplicaPool, type ReplicaPool } from './parallel/replica-pool.js';

/** Where the training stream starts: epoch, run seed and samples of the epoch already consumed. */
export interface StreamPosition {
  readonly epoch: number;
  readonly seed: number;
  readonly position: number;
}

/** Options of {@link fit}. */
export interface FitOptions {
  readonly model: DictModel;
  /** Loss terms; the total is their weighted sum. Required, at least one. */
  readonly losses: readonly Loss[];
  /**
   * The training batches of an epoch, starting after `position` samples (for `dataset.stream`:
   * `resume: { epoch, seed, position }`, then collate). Called once per epoch.
   */
  readonly train: (at: StreamPosition) => AsyncIterable<Sample>;
  /** Validation batches (called once per epoch). Default none: the monitor falls back to training losses. */
  readonly validation?: () => AsyncIterable<Sample>;
  /** Epochs to run. Required. */
  readonly epochs: number;
  /** Run seed handed to `train`. Default 0. */
  readonly seed?: number;
  /** Default `{ type: 'adam' }`. */
  readonly optimizer?: OptimizerConfig;
  /** Default `{ type: 'constant', lr: 1e-3 }`. */
  readonly schedule?: LrScheduleConfig;
  /** Clip gradients to this global L2 norm. Default none. */
  readonly clipNorm?: number;
  /** Evaluator metrics computed on the validation set each epoch. Default none. */
  readonly metrics?: readonly Metric[];
  /** Batch keys turned into metric columns (named by their key; ids go to `id`). Default: every loss's pred and target. */
  readonly metricKeys?: readonly string[];
  /**
   * Value that picks `best.ckpt`: `'validation.losses.total'`, `'validation.metrics.<name>'` (a
   * number, or an object with `org`) or `'train.losses.total'`. Default
   * `'validation.losses.total'` (min) with validation, else `'train.losses.total'`.
   */
  readonly monitor?: { readonly key: string; readonly mode: 'min' | 'max' };
  /**
   * Folder for `best.ckpt`, `last.ckpt` and `log.jsonl`; created if absent. Required. A new run
   * refuses a folder that already holds any run file (`RUN_FILES` of `trainer/run-folder`:
   * run.json, best.ckpt, last.ckpt, log.jsonl, predictions.arrow) unless `resume` or `overwrite`.
   */
  readonly dir: string;
  /** Also write `last.ckpt` every this many steps mid-epoch (for resuming killed runs). Default 0 (epoch ends only). */
  readonly checkpointEverySteps?: number;
  /** Stop after `patience` epochs without an improvement of more than `minDelta` (default 0). Default none. */
  readonly earlyStopping?: { readonly patience: number; readonly minDelta?: number };
  /**
   * Continue from `dir/last.ckpt`. Default false. The checkpoint must exist, and the run's
   * configuration recorded in it must equal this call's ({@link fitConfig}: `config`, seed,
   * optimizer, schedule, clipping, losses, monitor, early stopping, model); otherwise an
   * `OptionsError` names the first field that differs. `epochs` may change.
   */
  readonly resume?: boolean;
  /**
   * Start a new run in a `dir` that holds one: its run files (and only those; other files in the
   * folder stay) are removed first. Default false: such a folder is refused with an `OutputError`
   * naming it and the files found. Excludes `resume`.
   */
  readonly overwrite?: boolean;
  /**
   * Called once on a new run (not on resume), after `dir` is checked, cleared (`overwrite`) and
   * created and before training: where a caller writes its own record of the run (the CLI's
   * `run.json`). Default none.
   */
  readonly onNewRunFolder?: (dir: string) => void;
  /**
   * The caller's part of the run configuration (data fingerprint, split, batch size, …), JSON
   * values; recorded in every checkpoint and checked on `resume`, before fit's own fields.
   * Default none.
   */
  readonly config?: RunConfig;
  /** Show a progress bar on stderr (or on the given stream). Default: when stderr is a terminal. */
  readonly progress?: boolean | ProgressBar;
  /**
   * Backend to train on: a name, `'auto'` (fuseflow's {@link useBackend} choice, which honours
   * `FUSEFLOW_BACKEND` and prints what it picked and why) or `'current'` (leave tfjs as it is).
   * Default `'auto'`. Build the model after choosing the backend where possible.
   */
  readonly backend?: BackendName | 'auto' | 'current';
  /**
   * Compute threads: with N > 1, N replicas of the model on worker threads each compute the
   * gradients of a fixed slice of every batch, summed in a fixed order before one optimizer
   * update on this thread (`trainer/parallel/replica-pool`: bit-identical between runs with the
   * same N; equal to 1 thread up to float rounding for mean losses; batch norm per replica).
   * Losses must be built-in (they are rebuilt on the workers). Not part of the run's
   * configuration: a run may be resumed with another N. `'auto'`: the cores less `dataThreads`.
   * Default 1, because the data pipeline's workers share the cores.
   */
  readonly threads?: number | 'auto';
  /** Worker threads of the data pipeline, left free by `threads: 'auto'`. Default 0. */
  readonly dataThreads?: number;
  /**
   * Stops training gracefully: after the step in progress, `last.ckpt` is written with the exact
   * position and `fit` returns with `interrupted: true`; `resume: true` continues from there.
   */
  readonly signal?: AbortSignal;
  /** Called after each training step (after any mid-epoch checkpoint). */
  readonly onStep?: (info: { readonly epoch: number; readonly step: number; readonly position: number; readonly loss: number }) => void;
  /** Called after each epoch's log entry. */
  readonly onEpoch?: (entry: EpochLog) => void;
}

/** One line of the JSONL log. */
export interface EpochLog {
  readonly epoch: number;
  readonly step: number;
  readonly lr: number;
  readonly train: { readonly losses: Readonly<Record<string, number>>; readonly samples: number; readonly samplesPerSecond: number; readonly dataWait: number };
  readonly validation?: { readonly losses: Readonly<Record<string, number>>; readonly metrics: MetricResults };
  readonly monitor: number;
  readonly best: boolean;
}

/** What {@link fit} returns. */
export interface FitResult {
  readonly history: readonly EpochLog[];
  readonly bestEpoch: number | null;
  readonly bestValue: number | null;
  readonly stoppedEarly: boolean;
  /** True when `signal` stopped the run (the state is in `last.ckpt`). */
  readonly interrupted: boolean;
  readonly steps: number;
  readonly resumedFrom: { readonly epoch: number; readonly position: number; readonly step: number } | null;
}

interface LoopState {
  epoch: number;
  position: number;
  step: number;
  bestValue: number | null;
  bestEpoch: number | null;
  badEpochs: number;
  sums: Record<string, number>;
  batches: number;
  samples: number;
}

/**
 * Trains `model`.
 * @example
 * const result = await fit({
 *   model, losses: [crossEntropy({ pred: 'model.logits.head_0', target: 'data.label' })],
 *   train: (at) => collateStream(ds.stream({ resume: at }), 32), validation: () => collateStream(val.stream(), 64),
 *   epochs: 10, dir: 'runs/a', schedule: { type: 'cosine', lr: 1e-3, totalSteps: 1000, warmupSteps: 50 },
 * });
 * @throws {OptionsError} for bad options (before any training), `resume` without `dir/last.ckpt`.
 * @throws {OutputError} for a new run into a `dir` holding a run's files without `overwrite` (nothing is changed), or a `dir` that cannot be created or written.
 * @throws {TrainingError} when the loss is NaN/infinite (checkpoints already written stay intact) or a batch fails (missing key, shape the model does not take).
 */
export async function fit(options: FitOptions): Promise<FitResult> {
  const { model, losses, epochs, dir } = options;
  if (losses.length === 0) throw new OptionsError('fit: at least one loss is needed');
  checkLossNames(losses);
  if (!Number.isInteger(epochs) || epochs < 1) throw new OptionsError(`fit: epochs must be a positive integer, got ${epochs}`);
  const seed = options.seed ?? 0;
  const every = options.checkpointEverySteps ?? 0;
  if (!Number.isInteger(every) || every < 0) throw new OptionsError(`fit: checkpointEverySteps must be an integer ≥ 0, got ${every}`);
  if (options.clipNorm !== undefined && !(options.clipNorm > 0)) throw new OptionsError(`fit: clipNorm must be > 0, got ${options.clipNorm}`);
  const es = options.earlyStopping;
  if (es !== undefined && (!Number.isInteger(es.patience) || es.patience < 1)) throw new OptionsError(`fit: earlyStopping.patience must be a positive integer`);
  const monitor = options.monitor ?? { key: options.validation === undefined ? 'train.losses.total' : 'validation.losses.total', mode: 'min' as const };
  if (monitor.key.startsWith('validation.') && options.validation === undefined) throw new OptionsError(`fit: monitor '${monitor.key}' needs a validation set`);
  if (monitor.mode !== 'min' && monitor.mode !== 'max') throw new OptionsError(`fit: monitor.mode must be 'min' or 'max'`);
  const config = fitConfig(options);
  const threads = computeThreads({ ...(options.threads === undefined ? {} : { threads: options.threads }), ...(options.dataThreads === undefined ? {} : { dataThreads: options.dataThreads }) });
  if (threads > 1) lossSpecs(losses);
  const backend = options.backend ?? 'auto';
  if (backend !== 'current') await useBackend(backend === 'auto' ? undefined : backend);
  const schedule = lrSchedule(options.schedule ?? { type: 'constant', lr: 1e-3 });
  const variables = model.trainableVariables();
  const optimizer = createOptimizer(options.optimizer ?? { type: 'adam' }, variables);
  const metrics = options.metrics ?? [];
  const metricKeys = options.metricKeys ?? [...new Set(losses.flatMap((l) => lossKeys(l)))];
  const bar: ProgressBar | null =
    options.progress === false || (options.progress === undefined && process.stderr.isTTY !== true)
      ? null
      : options.progress === true || options.progress === undefined
        ? progressBar()
        : options.progress;

  const lastPath = join(dir, 'last.ckpt');
  const bestPath = join(dir, 'best.ckpt');
  const logPath = join(dir, 'log.jsonl');

  const state: LoopState = { epoch: 0, position: 0, step: 0, bestValue: null, bestEpoch: null, badEpochs: 0, sums: {}, batches: 0, samples: 0 };
  let resumedFrom: FitResult['resumedFrom'] = null;
  let runSeed = seed;
  let pool: ReplicaPool | null = null;
  if (threads > 1) {
    const name = tf.getBackend();
    if (name !== 'wasm' && name !== 'cpu' && name !== 'tensorflow') {
      optimizer.dispose();
      throw new OptionsError(`fit: threads > 1 needs the wasm, cpu or tensorflow backend, not '${name}'`);
    }
    try {
      pool = await createReplicaPool({ model, losses, threads, backend: name });
    } catch (err) {
      optimizer.dispose();
      throw err;
    }
  }

  try {
    // Every option is checked (schedule and optimizer included) before the folder is touched: a
    // folder holding a run is refused unless resumed, or overwritten (its run files only).
    claimRunFolder(dir, { resume: options.resume === true, overwrite: options.overwrite === true });
    if (options.resume === true) {
      const ckpt = readCheckpoint(lastPath);
      checkRunConfig(ckpt.trainState['config'], config, { file: lastPath });
      restoreWeights(model, ckpt, lastPath);
      if (ckpt.optimizer !== null) optimizer.load(ckpt.optimizer);
      Object.assign(state, ckpt.trainState['loop'] as LoopState);
      runSeed = (ckpt.trainState['seed'] as number | undefined) ?? seed;
      resumedFrom = { epoch: state.epoch, position: state.position, step: state.step };
    } else {
      options.onNewRunFolder?.(dir);
    }
  } catch (err) {
    optimizer.dispose();
    await pool?.close();
    throw err;
  }

  const checkpoint = async (path: string): Promise<void> => {
    await saveCheckpoint(path, { model, optimizer: await optimizer.state(), trainState: { loop: { ...state, sums: { ...state.sums } }, seed: runSeed, monitor, config } });
  };

  const history: EpochLog[] = [];
  let stoppedEarly = false;
  let interrupted = false;
  try {
    while (state.epoch < epochs && !interrupted) {
      const epoch = state.epoch;
      const t0 = performance.now();
      let wait = 0;
      let lr = schedule.at(state.step);
      const source = options.train({ epoch, seed: runSeed, position: state.position })[Symbol.asyncIterator]();
      try {
        for (;;) {
          if (options.signal?.aborted === true) {
            interrupted = true;
            break;
          }
          const w0 = performance.now();
          const next = await source.next();
          wait += performance.now() - w0;
          if (next.done === true) break;
          const batch = next.value;
          lr = schedule.at(state.step);
          const n = batchSizeAt(batch, model.binding.inputs[0]?.key ?? SAMPLE_ID_KEY);
          const values = pool === null ? trainStep(batch, state, lr) : await parallelStep(pool, batch, n, state, lr);
          state.step += 1;
          state.batches += 1;
          state.samples += n;
          state.position += n;
          for (const [k, v] of Object.entries(values)) state.sums[k] = (state.sums[k] ?? 0) + v;
          const elapsed = (performance.now() - t0) / 1000;
          bar?.update({
            epoch,
            epochs,
            batches: state.batches,
            loss: (state.sums['total'] ?? 0) / state.batches,
            samplesPerSecond: state.samples / Math.max(elapsed, 1e-9),
            dataWait: wait / 1000 / Math.max(elapsed, 1e-9),
          });
          if (every > 0 && state.step % every === 0) await checkpoint(lastPath);
          options.onStep?.({ epoch, step: state.step, position: state.position, loss: values['total'] as number });
        }
      } finally {
        await source.return?.();
      }
      if (interrupted) {
        await checkpoint(lastPath);
        bar?.done(`interrupted at epoch ${epoch + 1}, step ${state.step}; ${lastPath} holds the exact position (resume: true continues)`);
        break;
      }
      if (state.batches === 0) throw new TrainingError('the training stream yielded no batches this epoch', { epoch, step: state.step });
      const seconds = (performance.now() - t0) / 1000;
      const trainLosses = Object.fromEntries(Object.entries(state.sums).map(([k, v]) => [k, v / Math.max(state.batches, 1)]));
      const validation = options.validation === undefined ? undefined : await validate(state.step);
      const entryBase = {
        epoch,
        step: state.step,
        lr,
        train: { losses: trainLosses, samples: state.samples, samplesPerSecond: state.samples / Math.max(seconds, 1e-9), dataWait: wait / 1000 / Math.max(seconds, 1e-9) },
        ...(validation === undefined ? {} : { validation }),
      };
      const value = monitorValue(monitor.key, entryBase);
      const delta = es?.minDelta ?? 0;
      const improved = state.bestValue === null || (monitor.mode === 'min' ? value < state.bestValue - delta : value > state.bestValue + delta);
      if (improved) {
        state.bestValue = value;
        state.bestEpoch = epoch;
        state.badEpochs = 0;
      } else {
        state.badEpochs += 1;
      }
      const entry: EpochLog = { ...entryBase, monitor: value, best: improved };
      state.epoch += 1;
      state.position = 0;
      state.sums = {};
      state.batches = 0;
      state.samples = 0;
      if (improved) await checkpoint(bestPath);
      await checkpoint(lastPath);
      appendFileNoFollow(logPath, `${JSON.stringify(entry)}\n`);
      history.push(entry);
      bar?.done(
        `epoch ${epoch + 1}/${epochs} loss ${(trainLosses['total'] ?? 0).toFixed(4)} ${monitor.key} ${value.toFixed(4)}${improved ? ' (best)' : ''} ${entry.train.samplesPerSecond.toFixed(0)} samples/s data-wait ${(entry.train.dataWait * 100).toFixed(1)}%`,
      );
      options.onEpoch?.(entry);
      if (es !== undefined && state.badEpochs >= es.patience) {
        stoppedEarly = true;
        break;
      }
    }
  } finally {
    optimizer.dispose();
    await pool?.close();
  }
  return { history, bestEpoch: state.bestEpoch, bestValue: state.bestValue, stoppedEarly, interrupted, steps: state.step, resumedFrom };

  function trainStep(batch: Sample, st: LoopState, lr: number): Record<string, number> {
    const ctx = { step: st.step, phase: 'train' };
    let termsKept: tf.Tensor | null = null;
    let result: { value: tf.Scalar; grads: tf.NamedTensorMap };
    try {
      result = tf.variableGrads(() => {
        const outputs = model.forward(batch, { ...ctx, training: true });
        const { total, terms } = totalLoss(losses, batch, outputs, ctx);
        termsKept = tf.keep(tf.stack(Object.values(terms)));
        return total;
      }, variables);
    } catch (err) {
      throw new TrainingError((err as Error).message, { epoch: st.epoch, step: st.step }, { cause: err });
    }
    const grads = variables.map((v) => result.grads[v.name] as tf.Tensor);
    const total = (result.value.dataSync() as Float32Array)[0] as number;
    const termValues = termsKept === null ? [] : Array.from((termsKept as tf.Tensor).dataSync());
    const out: Record<string, number> = { total };
    losses.forEach((l, i) => (out[l.name] = termValues[i] as number));
    if (!Number.isFinite(total)) {
      tf.dispose([result.value, ...grads, ...(termsKept === null ? [] : [termsKept])]);
      throw lossNotFinite(batch, st, total, termValues);
    }
    applyGradients(grads, lr);
    tf.dispose([result.value, ...grads, ...(termsKept === null ? [] : [termsKept])]);
    return out;
  }

  /** One step on the replicas: their summed gradients, one optimizer update here. */
  async function parallelStep(replicas: ReplicaPool, batch: Sample, rows: number, st: LoopState, lr: number): Promise<Record<string, number>> {
    let result: Awaited<ReturnType<ReplicaPool['gradients']>>;
    try {
      result = await replicas.gradients(batch, rows, st.step);
    } catch (err) {
      throw new TrainingError((err as Error).message, { epoch: st.epoch, step: st.step }, { cause: err });
    }
    const out: Record<string, number> = { total: result.total };
    losses.forEach((l, i) => (out[l.name] = result.terms[i] as number));
    try {
      if (!Number.isFinite(result.total)) throw lossNotFinite(batch, st, result.total, result.terms);
      applyGradients(result.grads, lr);
    } finally {
      tf.dispose(result.grads);
    }
    return out;
  }

  function applyGradients(grads: readonly tf.Tensor[], lr: number): void {
    if (options.clipNorm !== undefined) {
      const clipped = clipByGlobalNorm(grads, options.clipNorm);
      optimizer.apply(clipped.grads, lr);
      tf.dispose(clipped.grads);
    } else {
      optimizer.apply(grads, lr);
    }
  }

  function lossNotFinite(batch: Sample, st: LoopState, total: number, termValues: readonly number[]): TrainingError {
    const last = existsSync(lastPath) ? `the last good checkpoint ${lastPath} is left intact` : 'no checkpoint had been written yet';
    const ids = getOr<unknown>(batch, SAMPLE_ID_KEY, undefined);
    const idText = Array.isArray(ids) ? `; batch ids ${ids.slice(0, 8).join(', ')}${ids.length > 8 ? ', …' : ''}` : '';
    return new TrainingError(`loss is ${total} (${losses.map((l, i) => `${l.name}=${termValues[i]}`).join(', ')})${idText}; training stopped, ${last}`, {
      epoch: st.epoch,
      step: st.step,
    });
  }

  async function validate(step: number): Promise<NonNullable<EpochLog['validation']>> {
    const sums: Record<string, number> = {};
    let count = 0;
    let passes = 0;
    const makeValidation = options.validation as () => AsyncIterable<Sample>;
    // One pass = the model over the validation stream; the first also sums the losses. Metrics
    // that ask for extra passes (exact AUC refinement) get them through `evaluate`.
    const columnBatches = (): AsyncIterable<Columns> => ({
      async *[Symbol.asyncIterator]() {
        const first = passes++ === 0;
        for await (const batch of makeValidation()) {
          const ctx = { step, phase: 'validation' };
          const kept = tf.tidy(() => {
            const outputs = model.forward(batch, { ...ctx, training: false });
            const { total, terms } = totalLoss(losses, batch, outputs, ctx);
            return { values: tf.stack([total, ...Object.values(terms)]), outputs };
          });
          try {
            if (first) {
              const values = Array.from(await kept.values.data());
              sums['total'] = (sums['total'] ?? 0) + (values[0] as number);
              losses.forEach((l, i) => (sums[l.name] = (sums[l.name] ?? 0) + (values[i + 1] as number)));
              count += 1;
            }
            if (metrics.length === 0) continue;
            const withOutputs = await outputsToBatch(batch, kept.outputs);
            const columns: Columns = {};
            const ids = getOr<unknown>(batch, SAMPLE_ID_KEY, undefined);
            if (Array.isArray(ids)) columns['id'] = ids;
            for (const key of metricKeys) addColumns(columns, withOutputs, key);
            yield columns;
          } finally {
            tf.dispose([kept.values, ...Object.values(kept.outputs)]);
          }
        }
      },
    });
    let results: MetricResults = {};
    if (metrics.length > 0) {
      results = (await evaluate({ data: columnBatches, metrics })).metrics;
    } else {
      for await (const _ of columnBatches()) void _;
    }
    return { losses: Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / Math.max(count, 1)])), metrics: results };
  }
}

/**
 * The configuration a run records and `resume` checks: the caller's `config` first, then fit's
 * own fields — seed, optimizer, schedule, clipNorm, losses (name, keys, weight), monitor, early
 * stopping, and the model (input/output binding, each layer's class and config without names,
 * weight shapes). `epochs` is not part of it (a finished run may be extended).
 */
export function fitConfig(options: FitOptions): RunConfig {
  const monitor = options.monitor ?? { key: options.validation === undefined ? 'train.losses.total' : 'validation.losses.total', mode: 'min' };
  const layers = options.model.net.layers.map((l) => {
    const { name: _name, ...layerConfig } = l.getConfig();
    return { class: l.getClassName(), config: layerConfig };
  });
  return {
    ...(options.config ?? {}),
    seed: options.seed ?? 0,
    optimizer: options.optimizer ?? { type: 'adam' },
    schedule: options.schedule ?? { type: 'constant', lr: 1e-3 },
    clipNorm: options.clipNorm ?? null,
    losses: options.losses.map((l) => ({ name: l.name, pred: l.pred, target: l.target, weight: l.weight })),
    monitor,
    earlyStopping: options.earlyStopping ?? null,
    model: { binding: options.model.binding, layers, weights: options.model.net.weights.map((w) => w.shape) },
  };
}

async function outputsToBatch(batch: Sample, outputs: Readonly<Record<string, tf.Tensor>>): Promise<Sample> {
  const values: Record<string, unknown> = {};
  for (const [k, t] of Object.entries(outputs)) values[k] = { dtype: 'float32', shape: t.shape, data: Float32Array.from(await t.data()) };
  return setKeys(batch, values);
}

function lossKeys(loss: Loss): string[] {
  return [loss.pred, loss.target];
}

function monitorValue(key: string, entry: Pick<EpochLog, 'train' | 'validation'>): number {
  const parts = key.split('.');
  let node: unknown = entry;
  for (const p of parts) node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[p] : undefined;
  if (typeof node === 'object' && node !== null && 'org' in node) node = node.org;
  if (typeof node !== 'number') throw new OptionsError(`fit: monitored value '${key}' is not a number after the epoch (got ${JSON.stringify(node)})`);
  return node;
}
