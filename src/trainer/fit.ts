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
 * (checkpoints atomically, the log never through a link). Every tensor it makes is disposed,
 * except the intermediates of a forward pass that throws (see `loop/training-step`).
 *
 * What users of Lightning and Keras expect on top: gradient accumulation (`accumulate`), a
 * ReduceLROnPlateau scheduler (`reduceOnPlateau`), per-layer-group learning rates (`paramGroups`;
 * frozen layers, see `models/trainable`, are not trained at all), callbacks that act (stop, set
 * the rate, save artefacts, log values: `callbacks`), several named validation sets and a test
 * stage on the best checkpoint (`test`). Each is saved in the checkpoints and recorded in the
 * run's configuration where it decides the result, so resuming stays exact.
 *
 * The loop is split in stages, each a unit of `trainer/loop/` (as Lightning splits its loops):
 * `training-step` (one micro-batch's gradients, an optimisation step per accumulation group),
 * `training-epoch` (one epoch of the training stream, from the resume position),
 * `validation-pass` (losses and evaluator metrics) over `validation-sets`, `callbacks`,
 * `run-checkpoints` (best/last, resume, the monitored value's best), `epoch-logger` (log.jsonl,
 * progress), `test-stage`; `loop-state` is the record they advance. This file checks the
 * options, sets the run up and runs the stages in order.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { OptionsError } from '../core/errors.js';
import type { Sample } from '../core/sample.js';
import type { Metric } from '../eval/metric.js';
import { useBackend, type BackendName } from './backend.js';
import { checkLossNames, type Loss } from './losses/loss.js';
import type { DictModel } from './models/dict-model.js';
import { lrSchedule, type LrScheduleConfig } from './optim/lr-schedule.js';
import { createOptimizer, type OptimizerConfig } from './optim/optimizer.js';
import type { ProgressBar } from './progress-bar.js';
import type { RunConfig } from './run-config.js';
import { claimRunFolder } from './run-folder.js';
import { computeThreads } from './parallel/compute-threads.js';
import { lossSpecs } from './parallel/loss-from-spec.js';
import { createReplicaPool, type ReplicaPool } from './parallel/replica-pool.js';
import { epochLogger, type EpochLog } from './loop/epoch-logger.js';
import { endEpoch, newLoopState } from './loop/loop-state.js';
import { monitorValue } from './loop/monitor.js';
import { runCheckpoints } from './loop/run-checkpoints.js';
import { trainingEpoch, type StepInfo, type StreamPosition } from './loop/training-epoch.js';
import { trainingStep } from './loop/training-step.js';
import { validationPass } from './loop/validation-pass.js';
import { checkMonitorKey, monitorFor, namedSets, type NamedSets, type SetsOption } from './loop/validation-sets.js';
import { checkCallbacks, runCallbacks, type Callback } from './loop/callbacks.js';
import type { ValidationResult } from './loop/epoch-logger.js';
import { paramGroupScales, type ParamGroup } from './models/trainable.js';
import { reduceOnPlateau, type ReduceOnPlateauConfig } from './optim/reduce-on-plateau.js';
import { testStage } from './loop/test-stage.js';

export type { EpochLog, ValidationResult } from './loop/epoch-logger.js';
export type { StreamPosition } from './loop/training-epoch.js';

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
  /**
   * Validation batches (called once per epoch), or several named sets (`{ internal: …, external: … }`,
   * names of letters, digits, `_`, `-`), each validated every epoch and logged under
   * `validations.<name>`; the monitor names the one that picks `best.ckpt`
   * (`'validations.external.metrics.auc'`; default the first set's total loss). Default none: the
   * monitor falls back to training losses.
   */
  readonly validation?: SetsOption;
  /** Epochs to run. Required. */
  readonly epochs: number;
  /** Run seed handed to `train`. Default 0. */
  readonly seed?: number;
  /** Default `{ type: 'adam' }`. */
  readonly optimizer?: OptimizerConfig;
  /** Default `{ type: 'constant', lr: 1e-3 }`. */
  readonly schedule?: LrScheduleConfig;
  /** Clip gradients to this global L2 norm (the accumulated gradient when accumulating). Default none. */
  readonly clipNorm?: number;
  /**
   * Gradient accumulation: each update uses the gradients of this many consecutive batches
   * (micro-batches), weighted by their rows, so that with losses that are means over rows one
   * update equals one on the concatenated batch; an epoch's last partial group is one update too.
   * `step` (schedule, checkpoints every N steps, `onStep`) counts updates. The run stops (signal,
   * callback) only between updates, so checkpoints never hold half a group. Composes with
   * `threads`. Part of the run's configuration. Default 1.
   */
  readonly accumulate?: number;
  /**
   * Reduce the learning rate when the monitored value stops improving (PyTorch's / Keras's
   * ReduceLROnPlateau; see `optim/reduce-on-plateau`): a factor on the schedule's rate, judged
   * after each epoch, saved in checkpoints. Part of the run's configuration. Default none.
   */
  readonly reduceOnPlateau?: ReduceOnPlateauConfig;
  /**
   * Learning-rate factors for groups of layers (names or `'prefix*'`; the first group that selects
   * a layer wins, others get 1), e.g. `[{ layers: ['kbackbone'], lrScale: 0.1 }]` to fine-tune a
   * loaded backbone slower than the new head. Frozen layers (`freeze`) are not trained at all.
   * Part of the run's configuration. Default none.
   */
  readonly paramGroups?: readonly ParamGroup[];
  /**
   * Callbacks that may stop the run, set the learning rate, save artefacts into the run folder and
   * log values (see `loop/callbacks`). Default none.
   */
  readonly callbacks?: readonly Callback[];
  /**
   * A test stage after training: the `best.ckpt` (or `last.ckpt`) weights are loaded into `model`
   * and evaluated (losses and `metrics`) on each test set; the results are returned as
   * `FitResult.test` and written to `<dir>/test.json`. Skipped when the run is interrupted.
   * Default none.
   */
  readonly test?: {
    readonly data: SetsOption;
    /** Default `'best'`. */
    readonly checkpoint?: 'best' | 'last';
  };
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
   * run.json, best.ckpt, last.ckpt, log.jsonl, predictions.arrow, test.json) unless `resume` or `overwrite`.
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
   * Compute threads: with N > 1, this thread and N − 1 replicas of the model on worker threads
   * each compute the gradients of a fixed slice of every batch, summed in a fixed order; each then
   * applies the optimizer to its own part of the weights in shared memory (with `accumulate` > 1:
   * one update on this thread) (`trainer/parallel/replica-pool`: bit-identical between runs with the
   * same N; equal to 1 thread up to float rounding for mean losses; batch norm per replica).
   * Losses must be built-in (they are rebuilt on the workers). Not part of the run's
   * configuration: a run may be resumed with another N. `'auto'`: the cores less `dataThreads`
   * (on the webgpu backend: 1, the GPU computes). Default 1, because the data pipeline's workers
   * share the cores.
   */
  readonly threads?: number | 'auto';
  /** Worker threads of the data pipeline, left free by `threads: 'auto'`. Default 0. */
  readonly dataThreads?: number;
  /**
   * Stops training gracefully: after the step in progress, `last.ckpt` is written with the exact
   * position and `fit` returns with `interrupted: true`; `resume: true` continues from there.
   */
  readonly signal?: AbortSignal;
  /** Called after each training step (optimizer update; after any mid-epoch checkpoint). */
  readonly onStep?: (info: StepInfo) => void;
  /** Called after each epoch's log entry. */
  readonly onEpoch?: (entry: EpochLog) => void;
}

/** What {@link fit} returns. */
export interface FitResult {
  readonly history: readonly EpochLog[];
  readonly bestEpoch: number | null;
  readonly bestValue: number | null;
  readonly stoppedEarly: boolean;
  /** True when `signal` (or a callback's `stop` after a step) stopped the run (the state is in `last.ckpt`). */
  readonly interrupted: boolean;
  /** `<callback>: <reason>` when a callback stopped the run, else null. */
  readonly stoppedBy: string | null;
  /** The test stage's results by set name (`test` for one unnamed set), or null without one. */
  readonly test: Readonly<Record<string, ValidationResult>> | null;
  readonly steps: number;
  readonly resumedFrom: { readonly epoch: number; readonly position: number; readonly step: number } | null;
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
  const sets = namedSets(options.validation, 'validation');
  const monitor = options.monitor ?? monitorFor(options.validation);
  checkMonitorKey(monitor.key, sets, 'monitor');
  if (monitor.mode !== 'min' && monitor.mode !== 'max') throw new OptionsError(`fit: monitor.mode must be 'min' or 'max'`);
  const accumulate = options.accumulate ?? 1;
  if (!Number.isInteger(accumulate) || accumulate < 1) throw new OptionsError(`fit: accumulate must be a positive integer, got ${accumulate}`);
  const plateau = options.reduceOnPlateau === undefined ? null : reduceOnPlateau(options.reduceOnPlateau, monitor);
  if (plateau !== null) checkMonitorKey(plateau.config.monitor, sets, 'reduceOnPlateau.monitor');
  const callbacks = options.callbacks ?? [];
  checkCallbacks(callbacks);
  const testSets = options.test === undefined ? null : namedSets(options.test.data, 'test');
  if (options.test !== undefined && options.test.checkpoint !== undefined && options.test.checkpoint !== 'best' && options.test.checkpoint !== 'last') {
    throw new OptionsError(`fit: test.checkpoint must be 'best' or 'last', got ${String(options.test.checkpoint)}`);
  }
  const config = fitConfig(options);
  const requestedThreads = computeThreads({
    ...(options.threads === undefined ? {} : { threads: options.threads }),
    ...(options.dataThreads === undefined ? {} : { dataThreads: options.dataThreads }),
  });
  const backend = options.backend ?? 'auto';
  if (backend !== 'current') await useBackend(backend === 'auto' ? undefined : backend);
  // a GPU backend computes on the GPU: 'auto' means this thread alone there
  const threads = options.threads === 'auto' && tf.getBackend() === 'webgpu' ? 1 : requestedThreads;
  if (threads > 1) lossSpecs(losses);
  const baseSchedule = lrSchedule(options.schedule ?? { type: 'constant', lr: 1e-3 });
  const variables = model.trainableVariables();
  if (variables.length === 0) throw new OptionsError(`fit: the model has no trainable weights (every layer is frozen); unfreeze some layers`);
  const lrScales = options.paramGroups === undefined ? undefined : paramGroupScales(model, variables, options.paramGroups);
  const optimizer = createOptimizer(options.optimizer ?? { type: 'adam' }, variables, lrScales === undefined ? {} : { lrScales });
  // The rate of an update: the schedule's, times the plateau's factor, times a callback's factor.
  let userScale = 1;
  const schedule = { config: baseSchedule.config, at: (s: number): number => baseSchedule.at(s) * (plateau?.scale ?? 1) * userScale };
  const hooks = runCallbacks(callbacks, { dir, replaceArtifacts: options.resume === true || options.overwrite === true });
  const takeLrRequest = (step: number): void => {
    if (hooks.requests.lr === null) return;
    userScale = hooks.requests.lr / (baseSchedule.at(step) * (plateau?.scale ?? 1));
    hooks.requests.lr = null;
  };
  const logger = epochLogger({ logPath: join(dir, 'log.jsonl'), epochs, monitorKey: monitor.key, ...(options.progress === undefined ? {} : { progress: options.progress }) });
  const checkpoints = runCheckpoints({
    dir,
    model,
    optimizer,
    monitor,
    config,
    seed,
    ...(es?.minDelta === undefined ? {} : { minDelta: es.minDelta }),
    extraState: () => ({
      lrScale: userScale,
      ...(plateau === null ? {} : { plateau: plateau.state() }),
      ...(callbacks.some((c) => c.state !== undefined) ? { callbacks: hooks.state() } : {}),
    }),
  });

  const state = newLoopState();
  let resumedFrom: FitResult['resumedFrom'] = null;
  let pool: ReplicaPool | null = null;
  if (threads > 1) {
    const name = tf.getBackend();
    if (name !== 'wasm' && name !== 'cpu' && name !== 'tensorflow') {
      optimizer.dispose();
      throw new OptionsError(`fit: threads > 1 needs the wasm, cpu or tensorflow backend, not '${name}'`);
    }
    try {
      // without accumulation the replicas apply the optimizer themselves (sharded update)
      const sharded = accumulate === 1 ? { optimizer, ...(options.clipNorm === undefined ? {} : { clipNorm: options.clipNorm }) } : {};
      pool = await createReplicaPool({ model, losses, threads, backend: name, ...sharded });
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
      const saved = checkpoints.resume(state);
      if (typeof saved['lrScale'] === 'number') userScale = saved['lrScale'];
      if (plateau !== null && saved['plateau'] !== undefined) plateau.load(saved['plateau']);
      hooks.load(saved['callbacks']);
      resumedFrom = { epoch: state.epoch, position: state.position, step: state.step };
    } else {
      options.onNewRunFolder?.(dir);
    }
  } catch (err) {
    optimizer.dispose();
    await pool?.close();
    throw err;
  }

  const step = trainingStep({
    model,
    losses,
    variables,
    optimizer,
    pool,
    lastPath: checkpoints.lastPath,
    accumulate,
    ...(options.clipNorm === undefined ? {} : { clipNorm: options.clipNorm }),
  });
  const history: EpochLog[] = [];
  let stoppedEarly = false;
  let interrupted = false;
  let test: FitResult['test'] = null;
  const validate = async (list: NamedSets['list']): Promise<Record<string, ValidationResult>> => {
    const out: Record<string, ValidationResult> = {};
    for (const [name, data] of list) {
      out[name] = await validationPass({
        model,
        losses,
        validation: data,
        step: state.step,
        ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
        ...(options.metricKeys === undefined ? {} : { metricKeys: options.metricKeys }),
      });
    }
    return out;
  };
  try {
    while (state.epoch < epochs) {
      const epoch = state.epoch;
      const run = await trainingEpoch(state, {
        model,
        train: options.train,
        seed: checkpoints.seed,
        step,
        schedule,
        logger,
        checkpoint: () => checkpoints.writeLast(state),
        checkpointEverySteps: every,
        stop: () => hooks.requests.stoppedBy !== null,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        onStep: async (info) => {
          options.onStep?.(info);
          await hooks.stepEnd({ epoch: info.epoch, step: info.step, lr: schedule.at(info.step) });
          takeLrRequest(info.step);
        },
      });
      if (run.interrupted) {
        interrupted = true;
        await checkpoints.writeLast(state);
        logger.interrupted(epoch, state.step, checkpoints.lastPath);
        break;
      }
      const results = sets === null ? null : await validate(sets.list);
      const validationPart = results === null ? {} : sets?.named === true ? { validations: results } : { validation: results['validation'] as ValidationResult };
      const entryBase = { epoch, step: state.step, lr: run.lr, train: run.train, ...validationPart };
      const logged = await hooks.epochEnd({ epoch, step: state.step, lr: schedule.at(state.step) }, entryBase);
      takeLrRequest(state.step);
      const entryLogged = { ...entryBase, ...(Object.keys(logged).length === 0 ? {} : { logged }) };
      const value = monitorValue(monitor.key, entryLogged);
      const improved = checkpoints.judge(state, value, epoch);
      if (plateau !== null) plateau.step(monitorValue(plateau.config.monitor, entryLogged), baseSchedule.at(state.step) * userScale);
      const entry: EpochLog = { ...entryLogged, monitor: value, best: improved };
      endEpoch(state);
      if (improved) await checkpoints.writeBest(state);
      await checkpoints.writeLast(state);
      logger.epoch(entry);
      history.push(entry);
      options.onEpoch?.(entry);
      if (hooks.requests.stoppedBy !== null) break;
      if (es !== undefined && state.badEpochs >= es.patience) {
        stoppedEarly = true;
        break;
      }
    }
    if (testSets !== null && !interrupted) {
      const which = options.test?.checkpoint ?? 'best';
      test = await testStage({
        model,
        dir,
        checkpoint: which,
        epoch: which === 'best' ? state.bestEpoch : state.epoch - 1,
        sets: testSets,
        evaluate: validate,
        overwrite: options.resume === true,
      });
    }
  } finally {
    step.dispose();
    optimizer.dispose();
    await pool?.close();
  }
  return {
    history,
    bestEpoch: state.bestEpoch,
    bestValue: state.bestValue,
    stoppedEarly,
    interrupted,
    stoppedBy: hooks.requests.stoppedBy,
    test,
    steps: state.step,
    resumedFrom,
  };
}

/**
 * The configuration a run records and `resume` checks: the caller's `config` first, then fit's
 * own fields — seed, optimizer, schedule, clipNorm, losses (name, keys, weight), monitor, early
 * stopping, and the model (input/output binding, each layer's class and config without names,
 * weight shapes). `epochs` is not part of it (a finished run may be extended).
 */
export function fitConfig(options: FitOptions): RunConfig {
  const monitor = options.monitor ?? monitorFor(options.validation);
  const v = options.validation;
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
    // Recorded only when used, so runs recorded before these options existed still resume.
    ...(options.accumulate !== undefined && options.accumulate !== 1 ? { accumulate: options.accumulate } : {}),
    ...(options.reduceOnPlateau === undefined ? {} : { reduceOnPlateau: reduceOnPlateau(options.reduceOnPlateau, monitor).config }),
    ...(options.paramGroups === undefined ? {} : { paramGroups: options.paramGroups.map((g) => ({ layers: [...g.layers], lrScale: g.lrScale })) }),
    ...(v !== undefined && typeof v !== 'function' ? { validationSets: Object.keys(v) } : {}),
  };
}
