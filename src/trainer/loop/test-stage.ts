/**
 * The test stage (Lightning's `trainer.test(ckpt_path='best')`): after training, the weights of
 * the run's `best.ckpt` (or `last.ckpt`) are loaded into the model and each test set is evaluated
 * like a validation set (losses and metrics); the results are written to `<dir>/test.json`
 * (atomically, through `core/safe-fs`) with the checkpoint and epoch they come from.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/safe-fs.js';
import { readCheckpoint, restoreWeights } from '../checkpoint.js';
import type { DictModel } from '../models/dict-model.js';
import type { ValidationResult } from './epoch-logger.js';
import type { NamedSets } from './validation-sets.js';

/** Options of {@link testStage}. */
export interface TestStageOptions {
  /** The run's model: its weights are replaced by the checkpoint's. Required. */
  readonly model: DictModel;
  /** The run folder (holds the checkpoints; `test.json` is written there). Required. */
  readonly dir: string;
  /** Which checkpoint. Required. */
  readonly checkpoint: 'best' | 'last';
  /** The epoch the checkpoint holds (recorded in `test.json`). Required. */
  readonly epoch: number | null;
  /** The test sets. Required. */
  readonly sets: NamedSets;
  /** Evaluates the model on sets (fit's validation pass with its losses and metrics). Required. */
  readonly evaluate: (sets: NamedSets['list']) => Promise<Record<string, ValidationResult>>;
  /** Replace an existing `test.json` (a resumed run). Default false. */
  readonly overwrite?: boolean;
}

/**
 * Runs the test stage; resolves with each set's results.
 * @example const test = await testStage({ model, dir: 'runs/a', checkpoint: 'best', epoch: 3, sets, evaluate });
 * @throws {InputError} for an unreadable checkpoint; {@link OutputError} when `test.json` cannot be written (or exists, without `overwrite`).
 */
export async function testStage(options: TestStageOptions): Promise<Record<string, ValidationResult>> {
  const path = join(options.dir, `${options.checkpoint}.ckpt`);
  restoreWeights(options.model, readCheckpoint(path), path);
  const results = await options.evaluate(options.sets.list);
  const record = { checkpoint: `${options.checkpoint}.ckpt`, epoch: options.epoch, sets: results };
  writeFileAtomic(join(options.dir, 'test.json'), `${JSON.stringify(record, null, 2)}\n`, { overwrite: options.overwrite === true });
  return results;
}
