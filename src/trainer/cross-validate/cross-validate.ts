/**
 * `crossValidate`: k-fold cross-validation as one call (FuseMedML's per-fold train / infer /
 * evaluate runner). Per fold: a model from `buildModel`, `fit` into its own run folder
 * (`<outDir>/fold-<k>`: best.ckpt, last.ckpt, log.jsonl), predictions of the best checkpoint on the
 * fold's validation ids (`fold-<k>/predictions.arrow`). Then the out-of-fold predictions joined
 * by id (`oof.arrow`, every id of the split exactly once), the evaluator's results per fold and
 * pooled over all folds (with bootstrap CIs), their mean and spread over folds, a JSON record
 * (`cross-validation.json`) and, when asked, an HTML report of the pooled predictions.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { OptionsError } from '../../core/errors.js';
import { fingerprint } from '../../core/fingerprint.js';
import { OutputError, writeFileAtomic } from '../../core/safe-fs.js';
import type { Sample } from '../../core/sample.js';
import type { Metric, MetricResults } from '../../eval/metric.js';
import type { CliMetricOptions } from '../../eval/metrics/index.js';
import type { DictModel } from '../models/dict-model.js';
import { foldIds, type FoldPlan } from './fold-plan.js';
import { evaluateFolds, type CrossValidateCi, type OverFolds } from './fold-metrics.js';
import { runFold, type FoldFitOptions, type FoldOutcome, type FoldSplit } from './fold-run.js';
import { writeOutOfFold } from './out-of-fold.js';

export type { CrossValidateCi, OverFolds } from './fold-metrics.js';
export type { FoldFitOptions, FoldOutcome, FoldSplit } from './fold-run.js';

/** Options of {@link crossValidate}. */
export interface CrossValidateOptions {
  /** The split: a fold plan (`makeFoldPlan`, `foldPlanFile`) or the validation ids of each fold. Required. */
  readonly folds: FoldPlan | readonly (readonly string[])[];
  /** Output folder: fold run folders, `oof.arrow`, `cross-validation.json`, the report. Required. */
  readonly outDir: string;
  /** A fresh model for a fold (seed it per fold). Required. */
  readonly buildModel: (split: FoldSplit) => DictModel;
  /** `fit`'s options for a fold: training and validation streams of its ids, losses, schedule, … Required. */
  readonly fit: (split: FoldSplit) => FoldFitOptions;
  /** Predictions of each fold's best checkpoint. Required. */
  readonly predict: {
    /** Collated batches of the fold's validation ids (each once). */
    readonly batches: (split: FoldSplit) => AsyncIterable<Sample>;
    /** Prediction columns: column name → batch key, as `inferToArrow` (an `id` column is added). */
    readonly columns: Readonly<Record<string, string>>;
  };
  /** Metrics over the prediction columns (e.g. `auc({ pred: 'pred_1', target: 'target' })`), with bootstrap CIs. Required (may be empty). */
  readonly metrics: Readonly<Record<string, Metric>>;
  /** Metrics evaluated without CIs (confusion counts, …). Default none. */
  readonly plainMetrics?: Readonly<Record<string, Metric>>;
  /** CIs of `metrics`: options, or `false` for none. Default `{}` (1000 replicates, seed 1234, 95%). */
  readonly ci?: CrossValidateCi | false;
  /** An HTML report of the pooled out-of-fold predictions (ROC, PR, reliability, confusion). Default none. */
  readonly report?: {
    /** Columns the plots read (`{ pred: 'pred_1', target: 'target' }`, or `pred: 'pred'` for all class columns). */
    readonly keys: CliMetricOptions;
    readonly title: string;
    readonly about?: readonly string[];
    /** Default `<outDir>/report.html`. */
    readonly path?: string;
  };
  /**
   * Start over in an `outDir` that holds a cross-validation: each fold's run files and the
   * joined outputs are replaced (other files stay). Default false: such a folder is refused.
   */
  readonly overwrite?: boolean;
  /**
   * Continue a stopped cross-validation: each fold with a `last.ckpt` resumes from it (a finished
   * fold is only predicted again), a fold without one starts. Default false.
   */
  readonly resume?: boolean;
  /** Called after each fold is trained and predicted. */
  readonly onFold?: (outcome: FoldOutcome) => void;
}

/** What {@link crossValidate} returns (and records in `cross-validation.json`). */
export interface CrossValidateResult {
  readonly folds: readonly FoldOutcome[];
  /** Out-of-fold predictions: the folds' columns plus `fold`, every id once. */
  readonly outOfFold: string;
  /** Metrics over all out-of-fold predictions (CIs where asked). */
  readonly pooled: MetricResults;
  /** Metrics per fold (CIs where asked). */
  readonly perFold: readonly MetricResults[];
  /** Per metric with a numeric result: mean and std of the per-fold values. */
  readonly overFolds: Readonly<Record<string, OverFolds>>;
  /** `cross-validation.json`. */
  readonly resultsPath: string;
  readonly reportPath: string | null;
}

/** The files crossValidate writes into `outDir` itself (the folds' run folders aside). */
export const CROSS_VALIDATION_FILES = ['cross-validation.json', 'oof.arrow'] as const;

function splitsOf(folds: CrossValidateOptions['folds']): FoldSplit[] {
  const lists = Array.isArray(folds) ? (folds as readonly (readonly string[])[]) : foldIds(folds as FoldPlan);
  if (lists.length < 2) throw new OptionsError(`crossValidate: at least 2 folds are needed, got ${lists.length}`);
  const seen = new Set<string>();
  lists.forEach((ids, f) => {
    if (ids.length === 0) throw new OptionsError(`crossValidate: fold ${f} has no ids`);
    for (const id of ids) {
      if (seen.has(id)) throw new OptionsError(`crossValidate: sample id '${id}' is in two folds`);
      seen.add(id);
    }
  });
  return lists.map((validIds, fold) => ({ fold, folds: lists.length, validIds, trainIds: lists.flatMap((ids, j) => (j === fold ? [] : ids)) }));
}

/**
 * Cross-validates a model.
 * @example
 * const cv = await crossValidate({
 *   folds: foldPlanFile({ path: 'folds.json', ids, balance: { label }, groups: patients, folds: 5, seed: 1 }).plan,
 *   outDir: 'runs/cv',
 *   buildModel: ({ fold }) => multiHeadModel({ …, seed: fold }),
 *   fit: ({ trainIds, validIds }) => ({ losses, train: …, validation: …, epochs: 10 }),
 *   predict: { batches: ({ validIds }) => …, columns: { target: 'data.target', pred: 'model.output.cls' } },
 *   metrics: { auc: auc({ pred: 'pred_1', target: 'target' }) },
 * });
 * cv.pooled.auc; // { org, conf_lower, conf_upper, … } over all out-of-fold predictions
 * @throws {OptionsError} for a split with an id in two folds, an empty fold, fewer than 2 folds, or `resume` with `overwrite`.
 * @throws {OutputError} for an `outDir` that holds a cross-validation without `overwrite`/`resume` (checked before any training).
 * @throws {InputError} when a fold's predictions miss an id of its validation set or hold another (see `writeOutOfFold`); what `fit` and `evaluate` throw.
 */
export async function crossValidate(options: CrossValidateOptions): Promise<CrossValidateResult> {
  const splits = splitsOf(options.folds);
  const { outDir } = options;
  const resume = options.resume === true;
  const overwrite = options.overwrite === true;
  if (resume && overwrite) throw new OptionsError('crossValidate: resume and overwrite exclude each other');
  const reportPath = options.report === undefined ? null : (options.report.path ?? join(outDir, 'report.html'));
  const own = [...CROSS_VALIDATION_FILES.map((f) => join(outDir, f)), ...(reportPath === null ? [] : [reportPath])];
  const held = own.filter((p) => existsSync(p));
  if (held.length > 0 && !resume && !overwrite)
    throw new OutputError(outDir, `holds a cross-validation (${held.join(', ')}); pass overwrite: true to start over or resume: true to continue, or choose another outDir`);
  mkdirSync(outDir, { recursive: true });
  const splitPrint = fingerprint(splits.map((s) => s.validIds));

  const outcomes: FoldOutcome[] = [];
  for (const split of splits) {
    const outcome = await runFold({ ...options, split, dir: join(outDir, `fold-${split.fold}`), splitPrint, resume, overwrite });
    outcomes.push(outcome);
    options.onFold?.(outcome);
  }

  const outOfFold = join(outDir, 'oof.arrow');
  await writeOutOfFold({
    folds: outcomes.map((o, f) => ({ fold: o.fold, path: o.predictions, ids: (splits[f] as FoldSplit).validIds })),
    path: outOfFold,
    overwrite: resume || overwrite,
  });

  const report = options.report;
  const metrics = await evaluateFolds({
    predictions: outcomes.map((o) => o.predictions),
    outOfFold,
    metrics: options.metrics,
    plainMetrics: options.plainMetrics ?? {},
    ci: options.ci ?? {},
    ...(report === undefined || reportPath === null
      ? {}
      : { report: { path: reportPath, keys: report.keys, title: report.title, about: report.about ?? [], overwrite: resume || overwrite } }),
  });
  const { perFold, pooled } = metrics;
  const across = metrics.overFolds;
  const resultsPath = join(outDir, 'cross-validation.json');
  const record = {
    folds: outcomes.map((o) => ({
      fold: o.fold,
      dir: o.dir,
      trainIds: o.trainIds,
      validIds: o.validIds,
      predictions: o.predictions,
      bestEpoch: o.fit.bestEpoch,
      bestValue: o.fit.bestValue,
      epochs: o.fit.history.length,
      metrics: perFold[o.fold],
    })),
    split: splitPrint,
    outOfFold,
    pooled,
    overFolds: across,
    report: reportPath,
  };
  writeFileAtomic(resultsPath, `${JSON.stringify(record, null, 2)}\n`, { overwrite: resume || overwrite });
  return { folds: outcomes, outOfFold, pooled, perFold, overFolds: across, resultsPath, reportPath };
}
