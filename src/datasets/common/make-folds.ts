import { OptionsError } from '../../core/errors.js';
import { splitFolds } from '../../streams/split-folds.js';
import { readFoldsFile } from './folds-file.js';

/** Options of {@link makeFolds}. */
export interface MakeFoldsOptions {
  readonly ids: readonly string[];
  /** Label of each id (balanced across folds). */
  readonly labels: readonly number[];
  /** Group of each id (e.g. patient or lesion): a group never spans two folds. Default: each id alone. */
  readonly groups?: readonly string[];
  /** Number of folds when no file is given. */
  readonly folds: number;
  /** A JSON folds file (see {@link readFoldsFile}); when given, `folds` and `seed` are not used. */
  readonly foldsFile?: string;
  /** Seed of the split. */
  readonly seed: number;
}

/**
 * The folds from `foldsFile`, or a seeded split balanced by label and grouped by `groups`
 * (FuseMedML's `dataset_balanced_division_to_folds`).
 * @throws {OptionsError} for a bad `folds`; {@link InputError} for a bad folds file.
 */
export function makeFolds(options: MakeFoldsOptions): string[][] {
  if (options.foldsFile !== undefined) return readFoldsFile(options.foldsFile, options.ids);
  if (!Number.isInteger(options.folds) || options.folds < 1) throw new OptionsError(`option 'folds' must be a positive integer, got ${String(options.folds)}`);
  return splitFolds({
    ids: options.ids,
    labels: options.labels,
    folds: options.folds,
    seed: options.seed,
    ...(options.groups === undefined ? {} : { groups: options.groups }),
  });
}
