/**
 * Fold files: a {@link FoldPlan} saved as JSON and reloaded, so every run (and every person) uses
 * the same split; a reloaded plan is checked against the data set it is used with, and a data set
 * that changed since (ids added or removed, a label or group changed) is refused, naming what changed.
 * A split made elsewhere — FuseMedML's `splits_final.pkl` converted to JSON — is read too, as a
 * fixed plan checked against the ids ({@link readSplitLists}, {@link fixedFoldPlan}).
 */
import { existsSync, readFileSync } from 'node:fs';
import { InputError, OptionsError } from '../../core/errors.js';
import { writeFileAtomic } from '../../core/safe-fs.js';
import { fixedFoldPlan, makeFoldPlan, type BalanceValue, type FoldPlan, type FoldPlanOptions, type FoldPlanSample } from './fold-plan.js';

/** Ids listed in a message before "… and N more". */
const SHOWN = 5;

/** Writes `plan` to `path` as JSON (atomically; an existing file is refused unless `overwrite`). */
export function writeFoldPlan(path: string, plan: FoldPlan, options: { readonly overwrite?: boolean } = {}): void {
  const lines = plan.samples.map((s) => `    ${JSON.stringify(s)}`).join(',\n');
  const { samples: _samples, ...head } = plan;
  const headText = JSON.stringify(head, null, 2).replace(/\n}$/, '');
  writeFileAtomic(path, `${headText},\n  "samples": [\n${lines}\n  ]\n}\n`, { overwrite: options.overwrite === true });
}

const isBalanceValue = (v: unknown): v is BalanceValue => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));

/**
 * Reads a fold file written by {@link writeFoldPlan}, checking its structure.
 * @example const plan = readFoldPlan('folds.json');
 * @throws {InputError} naming the file and what is wrong (not JSON, not a fold file, a sample's bad field, a duplicate id, a fold out of range).
 */
export function readFoldPlan(path: string): FoldPlan {
  return foldPlanOf(readJson(path), path);
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new InputError(`cannot read the fold file: ${err instanceof Error ? err.message : String(err)}`, { file: path });
  }
}

/** Checks the parsed JSON of a fold file. */
function foldPlanOf(raw: unknown, path: string): FoldPlan {
  const bad = (what: string): InputError => new InputError(`not a valid fuseflow fold file: ${what}`, { file: path });
  if (typeof raw !== 'object' || raw === null) throw bad('expected a JSON object');
  const o = raw as Record<string, unknown>;
  if (o['format'] !== 'fuseflow-folds') throw bad(`"format" is ${JSON.stringify(o['format'])}, expected "fuseflow-folds"`);
  if (o['version'] !== 1) throw bad(`"version" is ${JSON.stringify(o['version'])}, expected 1`);
  const folds = o['folds'];
  if (typeof folds !== 'number' || !Number.isInteger(folds) || folds < 2) throw bad(`"folds" is ${JSON.stringify(folds)}, expected an integer ≥ 2`);
  const seed = o['seed'];
  if (seed !== null && (typeof seed !== 'number' || !Number.isSafeInteger(seed))) throw bad(`"seed" is ${JSON.stringify(seed)}, expected an integer or null`);
  const keys = o['balanceKeys'];
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) throw bad('"balanceKeys" must be a list of names');
  const grouped = o['grouped'];
  if (typeof grouped !== 'boolean') throw bad('"grouped" must be true or false');
  const list = o['samples'];
  if (!Array.isArray(list)) throw bad('"samples" must be a list');
  const seen = new Set<string>();
  const samples = list.map((s: unknown, i): FoldPlanSample => {
    const at = `samples[${i}]`;
    if (typeof s !== 'object' || s === null) throw bad(`${at} is not an object`);
    const r = s as Record<string, unknown>;
    const id = r['id'];
    if (typeof id !== 'string') throw bad(`${at}.id must be a string`);
    if (seen.has(id)) throw bad(`sample id '${id}' appears twice`);
    seen.add(id);
    const fold = r['fold'];
    if (typeof fold !== 'number' || !Number.isInteger(fold) || fold < 0 || fold >= folds) throw bad(`sample '${id}': fold ${JSON.stringify(fold)} is not in 0…${folds - 1}`);
    const group = r['group'];
    if (grouped ? typeof group !== 'string' : group !== null) throw bad(`sample '${id}': group must be ${grouped ? 'a string' : 'null'}`);
    const balance = r['balance'];
    if (typeof balance !== 'object' || balance === null) throw bad(`sample '${id}': balance must be an object`);
    const values = balance as Record<string, unknown>;
    for (const k of keys) if (!isBalanceValue(values[k])) throw bad(`sample '${id}': balance value '${k}' is ${JSON.stringify(values[k])}, expected a string or number`);
    return { id, fold, group: group as string | null, balance: values as Record<string, BalanceValue> };
  });
  return { format: 'fuseflow-folds', version: 1, folds, seed, balanceKeys: keys, grouped, samples };
}

/**
 * Reads a split made elsewhere: a JSON list of folds (`[["case_00010", …], …]`), or a list of
 * `{ "train": [...], "val": [...] }` splits as in FuseMedML's KNIGHT `splits_final.pkl` (fold
 * `k` is split `k`'s `val` list). Convert that pickle once with
 * `python3 -c "import json,pandas as pd; print(json.dumps([{k: list(map(str, v)) for k, v in s.items()} for s in pd.read_pickle('splits_final.pkl')]))" > splits.json`.
 * The lists are not checked against a data set here: give them to {@link fixedFoldPlan} (as {@link foldPlanFile} does).
 * @example readSplitLists('splits.json'); // string[5][]
 * @throws {InputError} naming the file when it is missing, not JSON, or not a non-empty list of either shape.
 */
export function readSplitLists(path: string): string[][] {
  return splitListsOf(readJson(path), path);
}

function splitListsOf(raw: unknown, path: string): string[][] {
  if (!Array.isArray(raw) || raw.length === 0) throw new InputError('expected a non-empty JSON list of folds', { file: path });
  return raw.map((entry: unknown, k) => {
    const list = Array.isArray(entry) ? entry : typeof entry === 'object' && entry !== null ? (entry as { val?: unknown }).val : undefined;
    if (!Array.isArray(list) || !list.every((x) => typeof x === 'string'))
      throw new InputError(`fold ${k} must be a list of sample ids or an object with a 'val' list of sample ids`, { file: path });
    return list;
  });
}

/** One sample whose balance value or group differs between a fold file and the data set now. */
export interface FoldPlanChange {
  readonly id: string;
  /** `'group'` or the balance column's name. */
  readonly field: string;
  readonly was: BalanceValue | null;
  readonly now: BalanceValue | null;
}

/** How the data set now differs from a fold file's. */
export interface FoldPlanChanges {
  /** Ids in the data set that the file does not hold. */
  readonly added: readonly string[];
  /** Ids the file holds that the data set no longer has. */
  readonly removed: readonly string[];
  /** Ids whose balance value (label, site, …) or group changed. */
  readonly changed: readonly FoldPlanChange[];
}

/** What the data set is now: the fields of {@link FoldPlanOptions} that describe the data. */
export type FoldPlanData = Pick<FoldPlanOptions, 'ids' | 'balance' | 'groups'>;

/**
 * Compares a plan with the data set as it is now.
 * @example foldPlanChanges(plan, { ids, balance: { label } }); // { added: ['p9'], removed: [], changed: [{ id: 'p2', field: 'label', was: 0, now: 1 }] }
 * @throws {OptionsError} when the data's balance columns or grouping differ from the plan's (a different question, not a changed data set).
 */
export function foldPlanChanges(plan: FoldPlan, data: FoldPlanData): FoldPlanChanges {
  const balance = data.balance ?? {};
  const keys = Object.keys(balance);
  if (keys.join('\u0000') !== plan.balanceKeys.join('\u0000'))
    throw new OptionsError(`the fold file balances on [${plan.balanceKeys.join(', ')}], this run on [${keys.join(', ')}]`);
  if ((data.groups !== undefined) !== plan.grouped)
    throw new OptionsError(`the fold file was ${plan.grouped ? '' : 'not '}grouped by patient, this run is${data.groups !== undefined ? '' : ' not'}`);
  const inPlan = new Map(plan.samples.map((s) => [s.id, s]));
  const now = new Set<string>();
  const added: string[] = [];
  const changed: FoldPlanChange[] = [];
  data.ids.forEach((id, i) => {
    now.add(id);
    const was = inPlan.get(id);
    if (was === undefined) {
      added.push(id);
      return;
    }
    const group = data.groups === undefined ? null : (data.groups[i] ?? null);
    if (group !== was.group) changed.push({ id, field: 'group', was: was.group, now: group });
    for (const k of keys) {
      const v = (balance[k] as readonly BalanceValue[])[i] ?? null;
      const w = was.balance[k] ?? null;
      if (v !== w) changed.push({ id, field: k, was: w, now: v });
    }
  });
  const removed = plan.samples.filter((s) => !now.has(s.id)).map((s) => s.id);
  return { added, removed, changed };
}

const listed = (xs: readonly string[]): string => `${xs.slice(0, SHOWN).join(', ')}${xs.length > SHOWN ? ` and ${xs.length - SHOWN} more` : ''}`;

/** A readable account of changes ('' when there are none). */
export function describeChanges(c: FoldPlanChanges): string {
  const parts: string[] = [];
  if (c.added.length > 0) parts.push(`${c.added.length} id${c.added.length === 1 ? '' : 's'} added (${listed(c.added)})`);
  if (c.removed.length > 0) parts.push(`${c.removed.length} id${c.removed.length === 1 ? '' : 's'} removed (${listed(c.removed)})`);
  if (c.changed.length > 0) {
    const shown = c.changed.map((x) => `${x.id}: ${x.field} ${JSON.stringify(x.was)} → ${JSON.stringify(x.now)}`);
    parts.push(`${c.changed.length} value${c.changed.length === 1 ? '' : 's'} changed (${listed(shown)})`);
  }
  return parts.join('; ');
}

/** Options of {@link foldPlanFile}. */
export interface FoldPlanFileOptions extends FoldPlanOptions {
  /** The fold file. Created when absent; reloaded and checked when present. Required. */
  readonly path: string;
}

/** What {@link foldPlanFile} did. */
export interface FoldPlanFileResult {
  readonly plan: FoldPlan;
  /** True when the file was written now, false when it was reloaded. */
  readonly created: boolean;
  /** True when the file held a split made elsewhere (lists of ids, or a plan with seed `null`): `folds` and `seed` were not used. */
  readonly fixed: boolean;
}

/**
 * The split of a data set kept in a file: made and written on the first run, reloaded on every
 * later one, so all runs use the same folds. A reloaded file must match the run: the same number
 * of folds, seed, balance columns and grouping, and the same data set (ids, balance values and
 * groups); anything else is refused, naming what differs. A fold file is never rewritten: to
 * re-split, point at a new path (or delete the old file yourself).
 *
 * A file holding a JSON list (a split made elsewhere, see {@link readSplitLists}) is read as a
 * fixed plan: checked against `ids` and `groups` by {@link fixedFoldPlan}; `folds` and `seed` are
 * not used. A fold file whose seed is `null` (such a plan, saved) is likewise not compared on them.
 * @example
 * const { plan } = foldPlanFile({ path: 'runs/knight/folds.json', ids, balance: { label }, groups: ids, folds: 5, seed: 1 });
 * @throws {InputError} for a data set that changed since the file was written (names ids added, removed and relabelled), or an unreadable file.
 * @throws {OptionsError} for a file made with other options (folds, seed, balance columns, grouping).
 */
export function foldPlanFile(options: FoldPlanFileOptions): FoldPlanFileResult {
  const { path } = options;
  if (!existsSync(path)) {
    const plan = makeFoldPlan(options);
    writeFoldPlan(path, plan);
    return { plan, created: true, fixed: false };
  }
  const raw = readJson(path);
  if (Array.isArray(raw)) {
    const plan = fixedFoldPlan({ ids: options.ids, lists: splitListsOf(raw, path), file: path, ...pickData(options) });
    return { plan, created: false, fixed: true };
  }
  const plan = foldPlanOf(raw, path);
  const seed = options.seed ?? 0;
  const fixed = plan.seed === null;
  if (!fixed && plan.folds !== options.folds)
    throw new OptionsError(`${path}: the fold file has ${plan.folds} folds, this run asks for ${options.folds} (use another fold file to re-split)`);
  if (!fixed && plan.seed !== seed)
    throw new OptionsError(`${path}: the fold file was split with seed ${plan.seed}, this run asks for seed ${seed} (use another fold file to re-split)`);
  let changes: FoldPlanChanges;
  try {
    changes = foldPlanChanges(plan, options);
  } catch (err) {
    throw new OptionsError(`${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const what = describeChanges(changes);
  if (what !== '')
    throw new InputError(
      `the data set changed since this fold file was written: ${what}. Refusing to reuse a split that no longer matches the data; write a new fold file (another path) to re-split`,
      { file: path },
    );
  return { plan, created: false, fixed };
}

const pickData = (o: FoldPlanData): Pick<FoldPlanData, 'balance' | 'groups'> => ({
  ...(o.balance === undefined ? {} : { balance: o.balance }),
  ...(o.groups === undefined ? {} : { groups: o.groups }),
});
