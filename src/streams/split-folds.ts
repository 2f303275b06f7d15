/**
 * Fold splitting for cross-validation: balanced by label, grouped by patient (FuseMedML's
 * `dataset_balanced_division_to_folds`), seeded.
 */
import { OptionsError } from '../core/errors.js';
import { Rng } from '../core/rng.js';

/** Options of {@link splitFolds}. */
export interface SplitFoldsOptions {
  /** Sample ids (unique). */
  readonly ids: readonly string[];
  /** Label of each id, to balance across folds. Default: no balancing by label. */
  readonly labels?: readonly (string | number)[];
  /** Group (e.g. patient) of each id: a group never spans two folds. Default: each id alone. */
  readonly groups?: readonly string[];
  /** Number of folds, at least 1. */
  readonly folds: number;
  /** Seed of the shuffle. Default 0. */
  readonly seed?: number;
}

/**
 * Splits ids into folds.
 *
 * Groups are bucketed by the set of labels their samples carry (as FuseMedML does); within a
 * bucket the groups are shuffled (seeded), then taken largest first and each goes to the fold
 * holding the fewest samples of that bucket so far (ties: fewest samples overall, then the
 * lowest fold). So each label is spread as evenly as whole groups allow, fold sizes stay close,
 * and no group is split. Each fold lists its ids in input order.
 * @example
 * splitFolds({ ids, labels, groups: patientIds, folds: 5, seed: 1357 }); // string[5][]
 * @throws {OptionsError} for duplicate ids, lengths that differ from `ids`, or a bad `folds`.
 */
export function splitFolds(options: SplitFoldsOptions): string[][] {
  const { ids, labels, groups, folds } = options;
  if (!Number.isInteger(folds) || folds < 1) throw new OptionsError(`splitFolds: folds must be a positive integer, got ${String(folds)}`);
  if (labels !== undefined && labels.length !== ids.length) throw new OptionsError(`splitFolds: ${ids.length} ids but ${labels.length} labels`);
  if (groups !== undefined && groups.length !== ids.length) throw new OptionsError(`splitFolds: ${ids.length} ids but ${groups.length} groups`);
  const position = new Map<string, number>();
  ids.forEach((id, i) => {
    if (position.has(id)) throw new OptionsError(`splitFolds: sample id '${id}' appears twice`);
    position.set(id, i);
  });

  const members = new Map<string, number[]>();
  ids.forEach((_, i) => {
    const g = groups === undefined ? `id:${ids[i] as string}` : `group:${groups[i] as string}`;
    let list = members.get(g);
    if (list === undefined) members.set(g, (list = []));
    list.push(i);
  });

  const buckets = new Map<string, number[][]>();
  for (const list of members.values()) {
    const profile = labels === undefined ? '' : JSON.stringify([...new Set(list.map((i) => String(labels[i])))].sort());
    let bucket = buckets.get(profile);
    if (bucket === undefined) buckets.set(profile, (bucket = []));
    bucket.push(list);
  }

  const rng = Rng.fromParts([options.seed ?? 0, 'folds']);
  const totals = new Array<number>(folds).fill(0);
  const out: number[][] = Array.from({ length: folds }, () => []);
  for (const profile of [...buckets.keys()].sort()) {
    const shuffled = rng.shuffle(buckets.get(profile) as number[][]);
    // Stable sort keeps the shuffled order among groups of equal size.
    shuffled.sort((a, b) => b.length - a.length);
    const inBucket = new Array<number>(folds).fill(0);
    for (const group of shuffled) {
      let best = 0;
      for (let f = 1; f < folds; f++) {
        const d = (inBucket[f] as number) - (inBucket[best] as number) || (totals[f] as number) - (totals[best] as number);
        if (d < 0) best = f;
      }
      inBucket[best] = (inBucket[best] as number) + group.length;
      totals[best] = (totals[best] as number) + group.length;
      for (const i of group) (out[best] as number[]).push(i);
    }
  }
  return out.map((fold) => fold.sort((a, b) => a - b).map((i) => ids[i] as string));
}
