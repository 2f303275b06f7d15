/**
 * A builder's cross-validation folds, through the trainer's fold plans: a seeded split balanced on
 * the builder's columns (the label, and e.g. sex or site) and grouped by patient / lesion / case,
 * optionally kept in a fold file (written once, reloaded and checked against the data set on every
 * later build), or a split made elsewhere (FuseMedML's converted `splits_final`) read as a fixed plan.
 */
import { OptionsError } from '../../core/errors.js';
import { foldPlanFile } from '../../trainer/cross-validate/fold-file.js';
import { foldIds, makeFoldPlan, type BalanceValue, type FoldPlan } from '../../trainer/cross-validate/fold-plan.js';

/** How a build's folds were made. */
export type FoldSource = 'seeded' | 'written' | 'reloaded' | 'given';

/** The fold options every builder takes. */
export interface BuilderFoldOptions<K extends string> {
  /** Number of seeded folds, at least 2. Default 5. Not used with a fold file holding a split made elsewhere. */
  readonly folds?: number;
  /** Seed of the split. Default 0. */
  readonly seed?: number;
  /** Columns the folds are balanced on (each value combination spread over the folds). Default `['label']`. */
  readonly balance?: readonly K[];
  /**
   * A fold file (see `foldPlanFile` in fuseflow/trainer): written with the seeded split when absent;
   * when present, reloaded and checked — a data set changed since (cases added or removed, a label,
   * balance value or group changed) or other fold options are refused, naming what differs. A file
   * holding a JSON list of folds, or FuseMedML's `splits_final.pkl` converted (`[{ train, val }, …]`,
   * see `readSplitLists`), is used as given: checked against the ids and groups; `folds` and `seed` are not used.
   */
  readonly foldFile?: string;
}

/** The folds of a build. */
export interface DatasetFolds {
  /** Validation ids of each fold (ids order). */
  readonly folds: string[][];
  /** The split with each id's balance values and group, ready for `crossValidate({ folds })` or `writeFoldPlan`. */
  readonly foldPlan: FoldPlan;
  readonly foldSource: FoldSource;
}

/** What a builder knows about its samples for {@link datasetFolds}. */
export interface FoldColumns<K extends string> {
  readonly ids: readonly string[];
  /** Every column `balance` may name, one value per id. */
  readonly columns: Readonly<Record<K, readonly BalanceValue[]>>;
  /** Group (patient, lesion, case) of each id. */
  readonly groups: readonly string[];
}

/**
 * The folds of a build from its fold options.
 * @example datasetFolds('knight', options, { ids, columns: { label, sex }, groups: ids });
 * @throws {OptionsError} naming the builder for a bad `folds`, `seed` or `balance`; the fold file's errors (see `foldPlanFile`).
 */
export function datasetFolds<K extends string>(builder: string, options: BuilderFoldOptions<K>, data: FoldColumns<K>): DatasetFolds {
  const folds = options.folds ?? 5;
  const seed = options.seed ?? 0;
  if (!Number.isInteger(folds) || folds < 2) throw new OptionsError(`${builder}: option 'folds' must be an integer ≥ 2, got ${String(folds)}`);
  if (!Number.isSafeInteger(seed)) throw new OptionsError(`${builder}: option 'seed' must be an integer, got ${String(seed)}`);
  const known = Object.keys(data.columns);
  const keys: unknown = options.balance ?? ['label'];
  if (!Array.isArray(keys)) throw new OptionsError(`${builder}: option 'balance' must be a list of column names (${known.join(', ')})`);
  const balance: Record<string, readonly BalanceValue[]> = {};
  for (const key of keys as unknown[]) {
    if (typeof key !== 'string' || !known.includes(key)) throw new OptionsError(`${builder}: option 'balance' names '${String(key)}', expected some of ${known.join(', ')}`);
    if (key in balance) throw new OptionsError(`${builder}: option 'balance' names '${key}' twice`);
    balance[key] = data.columns[key as K];
  }
  const plan = { ids: data.ids, balance, groups: data.groups, folds, seed };
  if (options.foldFile === undefined) {
    const foldPlan = makeFoldPlan(plan);
    return { folds: foldIds(foldPlan), foldPlan, foldSource: 'seeded' };
  }
  const r = foldPlanFile({ ...plan, path: options.foldFile });
  return { folds: foldIds(r.plan), foldPlan: r.plan, foldSource: r.fixed ? 'given' : r.created ? 'written' : 'reloaded' };
}
