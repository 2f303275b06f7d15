/**
 * What a data set builder returns: everything `dataset(...)` needs plus the labels and folds,
 * so `dataset({ ids, staticPipeline, dynamicPipeline, store })` runs it directly.
 */
import type { Op } from '../../ops/op.js';
import type { FoldPlan } from '../../trainer/cross-validate/fold-plan.js';
import type { FoldSource } from './dataset-folds.js';

/** A built data set description (ids, pipelines, labels and cross-validation folds). */
export interface DatasetBuild {
  /** Sample ids, sorted. */
  readonly ids: readonly string[];
  /** Deterministic ops (load, reorient, resample, normalise, clinical encoding); cache their output. */
  readonly staticPipeline: readonly Op<object>[];
  /** Training augmentation (random ops, seeded per sample by `ctx.rng`); empty when `augment: false`. */
  readonly dynamicPipeline: readonly Op<object>[];
  /** The label of each id (same order as `ids`), as an integer class; empty for unlabelled data. */
  readonly labels: readonly number[];
  /** Key the label is written to in every sample. */
  readonly labelKey: string;
  /** Class names, index = label. */
  readonly classNames: readonly string[];
  /** Cross-validation folds: each a list of ids (input order); every id is in exactly one fold. */
  readonly folds: readonly (readonly string[])[];
  /** The same split as a fold plan (each id's fold, balance values and group); `null` for unlabelled data. */
  readonly foldPlan: FoldPlan | null;
  /** Whether the folds were split now (`'seeded'`), written to / reloaded from the fold file, or `'given'` by a split made elsewhere; `null` for unlabelled data. */
  readonly foldSource: FoldSource | null;
  /** Files the builder read to find ids and labels (their content is part of what a cache should key on). */
  readonly files: readonly string[];
}
