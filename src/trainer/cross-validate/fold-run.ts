/**
 * One fold of a cross-validation: a fresh model trained with `fit` in the fold's run folder,
 * then the best checkpoint's predictions on the fold's validation ids streamed to Arrow.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Sample } from '../../core/sample.js';
import { loadModel } from '../checkpoint.js';
import { fit, type FitOptions, type FitResult } from '../fit.js';
import { inferToArrow } from '../infer.js';
import type { DictModel } from '../models/dict-model.js';

/** One fold's split, handed to the caller's builders. */
export interface FoldSplit {
  /** 0-based fold index. */
  readonly fold: number;
  readonly folds: number;
  /** Ids trained on: every other fold's, in split order. */
  readonly trainIds: readonly string[];
  /** Ids validated and predicted on. */
  readonly validIds: readonly string[];
}

/** `fit`'s options for one fold, less what `crossValidate` sets itself (model, run folder, resume/overwrite). */
export type FoldFitOptions = Omit<FitOptions, 'model' | 'dir' | 'resume' | 'overwrite'>;

/** One fold's result. */
export interface FoldOutcome {
  readonly fold: number;
  readonly trainIds: number;
  readonly validIds: number;
  /** The fold's run folder. */
  readonly dir: string;
  readonly fit: FitResult;
  /** The fold's predictions (its validation ids). */
  readonly predictions: string;
  readonly rows: number;
}

/** What {@link runFold} needs. */
export interface FoldRunOptions {
  readonly split: FoldSplit;
  /** The fold's run folder. */
  readonly dir: string;
  readonly buildModel: (split: FoldSplit) => DictModel;
  readonly fit: (split: FoldSplit) => FoldFitOptions;
  readonly predict: {
    readonly batches: (split: FoldSplit) => AsyncIterable<Sample>;
    readonly columns: Readonly<Record<string, string>>;
  };
  /** Recorded in the fold's run configuration (a fingerprint of the whole split), so resuming with another split is refused. */
  readonly splitPrint: string;
  /** Resume the fold from its `last.ckpt` when there is one (else start it). */
  readonly resume: boolean;
  readonly overwrite: boolean;
}

/**
 * Trains and predicts one fold; the models it builds and loads are disposed.
 * @example const outcome = await runFold({ split, dir: 'runs/cv/fold-0', buildModel, fit, predict, splitPrint, resume: false, overwrite: false });
 * @throws what `fit`, `loadModel` and `inferToArrow` throw.
 */
export async function runFold(options: FoldRunOptions): Promise<FoldOutcome> {
  const { split, dir } = options;
  const model = options.buildModel(split);
  let best: DictModel | undefined;
  try {
    const fitOptions = options.fit(split);
    const result = await fit({
      ...fitOptions,
      model,
      dir,
      // the split is part of each fold's recorded configuration: resuming with another split is refused
      config: { ...(fitOptions.config ?? {}), crossValidation: { fold: split.fold, folds: split.folds, split: options.splitPrint } },
      // a fold not started before the run was stopped starts now
      ...(options.resume && existsSync(join(dir, 'last.ckpt')) ? { resume: true } : {}),
      ...(options.overwrite ? { overwrite: true } : {}),
    });
    best = await loadModel(join(dir, 'best.ckpt'));
    const predictions = join(dir, 'predictions.arrow');
    const written = await inferToArrow({ model: best, batches: options.predict.batches(split), path: predictions, columns: options.predict.columns });
    return { fold: split.fold, trainIds: split.trainIds.length, validIds: split.validIds.length, dir, fit: result, predictions, rows: written.rows };
  } finally {
    best?.net.dispose();
    model.net.dispose();
  }
}
