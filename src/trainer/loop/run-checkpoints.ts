/**
 * The checkpointing stage (Lightning's ModelCheckpoint and EarlyStopping bookkeeping): the
 * run's `last.ckpt` (after every epoch, every N steps, on interruption) and `best.ckpt` (when
 * the monitored value improves by more than `minDelta`), each holding the weights, optimizer
 * slots and the training state (`loop`: the {@link LoopState}; `seed`; `monitor`; `config`), written
 * atomically by `trainer/checkpoint`. Resuming reads `last.ckpt` back: the recorded
 * configuration is checked first, then weights, optimizer and loop state are restored.
 */
import { join } from 'node:path';
import type { DictModel } from '../models/dict-model.js';
import type { Optimizer } from '../optim/optimizer.js';
import { readCheckpoint, restoreWeights, saveCheckpoint } from '../checkpoint.js';
import { checkRunConfig, type RunConfig } from '../run-config.js';
import type { LoopState } from './loop-state.js';
import type { Monitor } from './monitor.js';

/** Options of {@link runCheckpoints}. */
export interface RunCheckpointsOptions {
  /** The run folder (holds `best.ckpt` and `last.ckpt`). Required. */
  readonly dir: string;
  /** The model saved and restored. Required. */
  readonly model: DictModel;
  /** The optimizer saved and restored. Required. */
  readonly optimizer: Optimizer;
  /** The monitored key and mode (recorded; `mode` decides an improvement). Required. */
  readonly monitor: Monitor;
  /** The run's configuration: recorded, and checked on resume. Required. */
  readonly config: RunConfig;
  /** The run seed of a new run (a resumed run keeps its recorded one). Required. */
  readonly seed: number;
  /** An improvement must beat the best value by more than this. Default 0. */
  readonly minDelta?: number;
  /**
   * More training state saved in every checkpoint after fit's own (the plateau scheduler, the
   * learning-rate factor, callbacks' state), read back by {@link RunCheckpoints.resume}. Default none.
   */
  readonly extraState?: () => Readonly<Record<string, unknown>>;
}

/** The checkpoints of one run. */
export interface RunCheckpoints {
  readonly lastPath: string;
  readonly bestPath: string;
  /** The run seed: the option's, or after {@link RunCheckpoints.resume} the recorded one. */
  readonly seed: number;
  /**
   * Restores the run from `last.ckpt` into the model, the optimizer and `state`.
   * @throws {InputError} for an unreadable or damaged checkpoint, or weights of other shapes.
   * @throws {OptionsError} naming the first configuration field that differs.
   * @returns the checkpoint's whole training state (where `extraState` comes back).
   */
  resume(state: LoopState): Readonly<Record<string, unknown>>;
  /**
   * Records the epoch's monitored value: when it improves on `state.bestValue` (or is the first),
   * it becomes the best (with `epoch`) and the bad-epoch count restarts; otherwise the count grows.
   * @returns whether it improved.
   */
  judge(state: LoopState, value: number, epoch: number): boolean;
  /** Writes `last.ckpt` with `state`. */
  writeLast(state: LoopState): Promise<void>;
  /** Writes `best.ckpt` with `state`. */
  writeBest(state: LoopState): Promise<void>;
}

/**
 * The checkpointing stage of a run in `dir`.
 * @example
 * const checkpoints = runCheckpoints({ dir: 'runs/a', model, optimizer, monitor: { key: 'train.losses.total', mode: 'min' }, config, seed: 0 });
 * if (checkpoints.judge(state, 0.31, 4)) await checkpoints.writeBest(state);
 * @throws {OutputError} (from the writes) naming the file when it cannot be written.
 */
export function runCheckpoints(options: RunCheckpointsOptions): RunCheckpoints {
  const { model, optimizer, monitor, config } = options;
  const lastPath = join(options.dir, 'last.ckpt');
  const bestPath = join(options.dir, 'best.ckpt');
  const delta = options.minDelta ?? 0;
  let seed = options.seed;
  const write = async (path: string, state: LoopState): Promise<void> => {
    await saveCheckpoint(path, {
      model,
      optimizer: await optimizer.state(),
      trainState: { loop: { ...state, sums: { ...state.sums } }, seed, monitor, config, ...(options.extraState?.() ?? {}) },
    });
  };
  return {
    lastPath,
    bestPath,
    get seed() {
      return seed;
    },
    resume(state) {
      const ckpt = readCheckpoint(lastPath);
      checkRunConfig(ckpt.trainState['config'], config, { file: lastPath });
      restoreWeights(model, ckpt, lastPath);
      if (ckpt.optimizer !== null) optimizer.load(ckpt.optimizer);
      Object.assign(state, ckpt.trainState['loop'] as LoopState);
      seed = (ckpt.trainState['seed'] as number | undefined) ?? seed;
      return ckpt.trainState;
    },
    judge(state, value, epoch) {
      const improved = state.bestValue === null || (monitor.mode === 'min' ? value < state.bestValue - delta : value > state.bestValue + delta);
      if (improved) {
        state.bestValue = value;
        state.bestEpoch = epoch;
        state.badEpochs = 0;
      } else {
        state.badEpochs += 1;
      }
      return improved;
    },
    writeLast: (state) => write(lastPath, state),
    writeBest: (state) => write(bestPath, state),
  };
}
