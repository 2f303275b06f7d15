import { readFileSync } from 'node:fs';
import { InputError } from '../../core/errors.js';

/**
 * Reads cross-validation folds from a JSON file and checks them against the data set's ids.
 *
 * Two shapes are read: a list of folds (`[["case_00010", …], …]`), or a list of
 * `{ "train": [...], "val": [...] }` splits as in FuseMedML's KNIGHT `splits_final.pkl` (fold
 * `k` is split `k`'s `val` list). Convert that pickle once with
 * `python3 -c "import json,pandas as pd; print(json.dumps([{k: list(map(str, v)) for k, v in s.items()} for s in pd.read_pickle('splits_final.pkl')]))" > splits.json`.
 * @example readFoldsFile('splits.json', ids) // string[5][]
 * @throws {InputError} naming the file when it is missing or not valid JSON of either shape,
 *   when an id is in two folds or not in the data set, or when an id of the data set is in no fold.
 */
export function readFoldsFile(file: string, ids: readonly string[]): string[][] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InputError(`cannot read the folds file: ${(err as Error).message}`, { file });
  }
  if (!Array.isArray(parsed) || parsed.length === 0) throw new InputError('expected a non-empty JSON list of folds', { file });
  const folds = parsed.map((entry: unknown, k) => foldIds(entry, k, file));
  const known = new Set(ids);
  const seen = new Map<string, number>();
  folds.forEach((fold, k) => {
    for (const id of fold) {
      if (!known.has(id)) throw new InputError(`fold ${k} lists sample '${id}', which is not in the data set`, { file });
      const before = seen.get(id);
      if (before !== undefined) throw new InputError(`sample '${id}' is in fold ${before} and fold ${k}`, { file });
      seen.set(id, k);
    }
  });
  const missing = ids.filter((id) => !seen.has(id));
  if (missing.length > 0) throw new InputError(`${missing.length} sample(s) of the data set are in no fold, e.g. '${missing[0] as string}'`, { file });
  return folds;
}

function foldIds(entry: unknown, k: number, file: string): string[] {
  const list = Array.isArray(entry) ? entry : typeof entry === 'object' && entry !== null ? (entry as { val?: unknown }).val : undefined;
  if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) {
    throw new InputError(`fold ${k} must be a list of sample ids or an object with a 'val' list of sample ids`, { file });
  }
  return list;
}
