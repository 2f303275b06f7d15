/**
 * A cross-validation split as data: which fold each sample id is validated in, with the values
 * it was balanced on and its group (patient), so the split can be saved, reloaded and checked
 * against the data set it is used with (see `fold-file.ts`).
 */
import { InputError, OptionsError } from '../../core/errors.js';
import { splitFolds } from '../../streams/split-folds.js';

/** A value a split balances on (a label, a site, a sex, …). */
export type BalanceValue = string | number;

/** Options of {@link makeFoldPlan}. */
export interface FoldPlanOptions {
  /** Sample ids (unique). Required. */
  readonly ids: readonly string[];
  /**
   * Columns to balance the folds on, by name, each with one value per id (e.g. `{ label, site }`).
   * Every combination of values is spread over the folds as evenly as whole groups allow, so each
   * column is balanced too. Default none.
   */
  readonly balance?: Readonly<Record<string, readonly BalanceValue[]>>;
  /** Group (e.g. patient id) of each id: no group spans two folds. Default: each id alone. */
  readonly groups?: readonly string[];
  /** Number of folds, at least 2. Required. */
  readonly folds: number;
  /** Seed of the shuffle. Default 0. */
  readonly seed?: number;
}

/** One sample of a {@link FoldPlan}. */
export interface FoldPlanSample {
  readonly id: string;
  /** The fold (0-based) whose validation set holds this sample. */
  readonly fold: number;
  /** Its group (patient); `null` when the split was not grouped. */
  readonly group: string | null;
  /** Its value of each balance column, by column name. */
  readonly balance: Readonly<Record<string, BalanceValue>>;
}

/** A saved split. Plain JSON data. */
export interface FoldPlan {
  readonly format: 'fuseflow-folds';
  readonly version: 1;
  readonly folds: number;
  /** Seed of the split; `null` for a split given as lists (see {@link fixedFoldPlan}), which no seed re-makes. */
  readonly seed: number | null;
  /** Names of the balance columns, in the order given. */
  readonly balanceKeys: readonly string[];
  /** Whether samples were grouped (by patient). */
  readonly grouped: boolean;
  /** Every sample, in the order of the ids given. */
  readonly samples: readonly FoldPlanSample[];
}

/** The stratum of one sample: its balance values joined (one column: the value itself). */
function stratum(keys: readonly string[], balance: Readonly<Record<string, readonly BalanceValue[]>>, i: number): string {
  const values = keys.map((k) => (balance[k] as readonly BalanceValue[])[i] as BalanceValue);
  return values.length === 1 ? String(values[0]) : JSON.stringify(values);
}

/**
 * Splits ids into folds balanced on several columns and grouped by patient, and records the split.
 *
 * The folds are `splitFolds`'s (FuseMedML's `dataset_balanced_division_to_folds`): groups are
 * bucketed by the set of balance strata (value combinations) their samples carry, shuffled with
 * `seed`, and dealt largest first to the fold holding the fewest of that bucket. With one balance
 * column the folds equal `splitFolds({ labels: that column })`.
 * @example
 * const plan = makeFoldPlan({ ids, balance: { label: labels, site: sites }, groups: patients, folds: 5, seed: 1 });
 * foldIds(plan)[0]; // validation ids of fold 0
 * @throws {OptionsError} for duplicate ids, a column whose length differs from `ids`, a value that is not a string or finite number, or `folds` < 2.
 */
export function makeFoldPlan(options: FoldPlanOptions): FoldPlan {
  const { ids, folds } = options;
  const seed = options.seed ?? 0;
  if (!Number.isInteger(folds) || folds < 2) throw new OptionsError(`makeFoldPlan: folds must be an integer ≥ 2, got ${String(folds)}`);
  if (!Number.isSafeInteger(seed)) throw new OptionsError(`makeFoldPlan: seed must be an integer, got ${String(seed)}`);
  const balance = options.balance ?? {};
  const keys = checkColumns('makeFoldPlan', ids, balance);
  const groups = options.groups;
  const labels = keys.length === 0 ? undefined : ids.map((_, i) => stratum(keys, balance, i));
  const split = splitFolds({ ids, folds, seed, ...(labels === undefined ? {} : { labels }), ...(groups === undefined ? {} : { groups }) });
  const foldOf = new Map<string, number>();
  split.forEach((list, f) => list.forEach((id) => foldOf.set(id, f)));
  return planOf(ids, foldOf, folds, seed, balance, groups);
}

/** Checks the balance columns against `ids`; returns their names. */
function checkColumns(fn: string, ids: readonly string[], balance: Readonly<Record<string, readonly BalanceValue[]>>): string[] {
  const keys = Object.keys(balance);
  for (const key of keys) {
    const column = balance[key] as readonly BalanceValue[];
    if (column.length !== ids.length) throw new OptionsError(`${fn}: ${ids.length} ids but ${column.length} values of balance column '${key}'`);
    column.forEach((v, i) => {
      if (typeof v !== 'string' && !(typeof v === 'number' && Number.isFinite(v)))
        throw new OptionsError(`${fn}: balance column '${key}' of sample '${ids[i] as string}' is ${String(v)}, expected a string or a finite number`);
    });
  }
  return keys;
}

function planOf(
  ids: readonly string[],
  foldOf: ReadonlyMap<string, number>,
  folds: number,
  seed: number | null,
  balance: Readonly<Record<string, readonly BalanceValue[]>>,
  groups: readonly string[] | undefined,
): FoldPlan {
  const keys = Object.keys(balance);
  const samples = ids.map((id, i) => ({
    id,
    fold: foldOf.get(id) as number,
    group: groups === undefined ? null : (groups[i] as string),
    balance: Object.fromEntries(keys.map((k) => [k, (balance[k] as readonly BalanceValue[])[i] as BalanceValue])),
  }));
  return { format: 'fuseflow-folds', version: 1, folds, seed, balanceKeys: keys, grouped: groups !== undefined, samples };
}

/** Options of {@link fixedFoldPlan}: the data set as {@link FoldPlanOptions} describes it, and the split as lists. */
export interface FixedFoldPlanOptions extends Pick<FoldPlanOptions, 'ids' | 'balance' | 'groups'> {
  /** The validation ids of each fold (at least 2 folds). Required. */
  readonly lists: readonly (readonly string[])[];
  /** The file the lists came from, named in errors. */
  readonly file?: string;
}

/**
 * A plan from a split made elsewhere (e.g. FuseMedML's `splits_final.pkl`, converted): the lists
 * are checked against the data set — every id in exactly one fold, no id the data set lacks, no
 * group (patient) in two folds — and the data's balance values and groups are recorded with it.
 * Its `seed` is `null`.
 * @example fixedFoldPlan({ ids, lists: [['a', 'c'], ['b', 'd']], balance: { label } });
 * @throws {InputError} (naming `file` when given) for an id in two folds or in none, an id not in
 *   the data set, a group split over two folds, or fewer than 2 folds; {@link OptionsError} for a bad balance column.
 */
export function fixedFoldPlan(options: FixedFoldPlanOptions): FoldPlan {
  const { ids, lists, groups } = options;
  const balance = options.balance ?? {};
  const fail = (message: string): InputError => new InputError(message, options.file === undefined ? {} : { file: options.file });
  checkColumns('fixedFoldPlan', ids, balance);
  if (lists.length < 2) throw fail(`a split needs at least 2 folds, found ${lists.length}`);
  const known = new Set(ids);
  if (known.size !== ids.length) throw new OptionsError('fixedFoldPlan: the ids list a sample twice');
  const foldOf = new Map<string, number>();
  lists.forEach((list, k) => {
    for (const id of list) {
      if (!known.has(id)) throw fail(`fold ${k} lists sample '${id}', which is not in the data set`);
      const before = foldOf.get(id);
      if (before !== undefined) throw fail(`sample '${id}' is in fold ${before} and fold ${k}`);
      foldOf.set(id, k);
    }
  });
  const missing = ids.filter((id) => !foldOf.has(id));
  if (missing.length > 0) throw fail(`${missing.length} sample(s) of the data set are in no fold, e.g. '${missing[0] as string}'`);
  if (groups !== undefined) {
    if (groups.length !== ids.length) throw new OptionsError(`fixedFoldPlan: ${ids.length} ids but ${groups.length} groups`);
    const foldOfGroup = new Map<string, { fold: number; id: string }>();
    ids.forEach((id, i) => {
      const g = groups[i] as string;
      const fold = foldOf.get(id) as number;
      const first = foldOfGroup.get(g);
      if (first === undefined) foldOfGroup.set(g, { fold, id });
      else if (first.fold !== fold) throw fail(`group '${g}' is split over two folds: '${first.id}' in fold ${first.fold}, '${id}' in fold ${fold}`);
    });
  }
  return planOf(ids, foldOf, lists.length, null, balance, groups);
}

/**
 * The validation ids of each fold, in sample order.
 * @example foldIds(plan).map((ids) => ids.length); // [114, 114, 114, 114, 113]
 */
export function foldIds(plan: FoldPlan): string[][] {
  const out: string[][] = Array.from({ length: plan.folds }, () => []);
  for (const s of plan.samples) (out[s.fold] as string[]).push(s.id);
  return out;
}
