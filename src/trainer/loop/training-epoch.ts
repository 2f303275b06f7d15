/**
 * The epoch stage (Lightning's training epoch loop): pulls the training batches of one epoch,
 * starting after the samples the run has already consumed of it (`state.position`, so a resumed
 * run continues mid-epoch), and runs the step stage on each, one batch held at a time. After
 * each step it advances `state` (step, position, running loss sums), updates the progress
 * display, writes `last.ckpt` every `checkpointEverySteps` steps and calls `onStep`. An abort
 * signal ends the epoch before the next batch is pulled.
 */
import { SAMPLE_ID_KEY, type Sample } from '../../core/sample.js';
import { batchSizeAt } from '../batch-input.js';
import type { DictModel } from '../models/dict-model.js';
import type { LrSchedule } from '../optim/lr-schedule.js';
import { TrainingError } from '../training-error.js';
import type { EpochLog, EpochLogger } from './epoch-logger.js';
import type { LoopState } from './loop-state.js';
import type { TrainingStep } from './training-step.js';

/** Where the training stream starts: epoch, run seed and samples of the epoch already consumed. */
export interface StreamPosition {
  readonly epoch: number;
  readonly seed: number;
  readonly position: number;
}

/** What `onStep` is told after each step. */
export interface StepInfo {
  readonly epoch: number;
  readonly step: number;
  readonly position: number;
  /** The total loss of the update's last micro-batch. */
  readonly loss: number;
}

/** Options of {@link trainingEpoch}. */
export interface TrainingEpochOptions {
  /** The model (its first input key counts a batch's rows). Required. */
  readonly model: DictModel;
  /** The training batches of an epoch after `position` samples; called once. Required. */
  readonly train: (at: StreamPosition) => AsyncIterable<Sample>;
  /** Run seed handed to `train`. Required. */
  readonly seed: number;
  /** The step stage. Required. */
  readonly step: TrainingStep;
  /** Learning rate by step. Required. */
  readonly schedule: LrSchedule;
  /** Progress display (the logging stage). Required. */
  readonly logger: EpochLogger;
  /** Writes `last.ckpt` (mid-epoch checkpoints). Required. */
  readonly checkpoint: () => Promise<void>;
  /** Write `last.ckpt` after every this many steps (counted over the run). Default 0: never mid-epoch. */
  readonly checkpointEverySteps?: number;
  /** Ends the epoch before the next batch (at an update boundary when accumulating). Default none. */
  readonly signal?: AbortSignal;
  /** Asked with the signal: true ends the epoch the same way (a callback's stop). Default none. */
  readonly stop?: () => boolean;
  /** Called after each update (after any mid-epoch checkpoint); a promise it returns is awaited. Default none. */
  readonly onStep?: (info: StepInfo) => unknown;
}

/** How an epoch ended: stopped by the signal, or run to the end of the stream. */
export type EpochRun =
  | { readonly interrupted: true }
  | {
      readonly interrupted: false;
      /** The learning rate of the epoch's last step. */
      readonly lr: number;
      /** The epoch's training summary for its log line. */
      readonly train: EpochLog['train'];
    };

/**
 * Trains the epoch `state.epoch` from `state.position` on, advancing `state`.
 * @example
 * const run = await trainingEpoch(state, { model, train, seed: 0, step, schedule, logger, checkpoint: () => checkpoints.writeLast(state) });
 * if (!run.interrupted) console.log(run.train.losses['total']);
 * @throws {TrainingError} when the stream yields no batch this epoch (and was not interrupted),
 *   and whatever the step stage or the stream throws; the stream is closed either way.
 */
export async function trainingEpoch(state: LoopState, options: TrainingEpochOptions): Promise<EpochRun> {
  const { model, schedule, logger } = options;
  const every = options.checkpointEverySteps ?? 0;
  const epoch = state.epoch;
  const t0 = performance.now();
  let wait = 0;
  let lr = schedule.at(state.step);
  let interrupted = false;
  let lastLoss = Number.NaN;
  const afterUpdate = async (loss: number): Promise<void> => {
    if (every > 0 && state.step % every === 0) await options.checkpoint();
    await options.onStep?.({ epoch, step: state.step, position: state.position, loss });
  };
  const source = options.train({ epoch, seed: options.seed, position: state.position })[Symbol.asyncIterator]();
  try {
    for (;;) {
      // Stops only between updates: a checkpoint never holds half an accumulation group.
      if (options.step.pending === 0 && (options.signal?.aborted === true || options.stop?.() === true)) {
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
      const values = await options.step(batch, n, state, lr);
      state.batches += 1;
      state.samples += n;
      state.position += n;
      for (const [k, v] of Object.entries(values)) state.sums[k] = (state.sums[k] ?? 0) + v;
      lastLoss = values['total'] as number;
      logger.progress(state, performance.now() - t0, wait);
      if (options.step.pending > 0) continue;
      state.step += 1;
      await afterUpdate(lastLoss);
    }
    // The epoch's last, partial accumulation group is one update (as Lightning does).
    if (!interrupted && (await options.step.flush(lr))) {
      state.step += 1;
      await afterUpdate(lastLoss);
    }
  } finally {
    await source.return?.();
  }
  if (interrupted) return { interrupted: true };
  if (state.batches === 0) throw new TrainingError('the training stream yielded no batches this epoch', { epoch, step: state.step });
  const seconds = (performance.now() - t0) / 1000;
  const losses = Object.fromEntries(Object.entries(state.sums).map(([k, v]) => [k, v / Math.max(state.batches, 1)]));
  return {
    interrupted: false,
    lr,
    train: { losses, samples: state.samples, samplesPerSecond: state.samples / Math.max(seconds, 1e-9), dataWait: wait / 1000 / Math.max(seconds, 1e-9) },
  };
}
