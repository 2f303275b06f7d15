/**
 * Scores segmentations on disk: prediction label files against ground-truth label files (NIfTI,
 * MHA, NRRD, … read with `readImage`), paired by case id (see `pairLabelFiles`), on one grid per
 * pair (see `checkSameGrid`). Per case and label: Dice, IoU, HD95 and ASSD in mm (the files'
 * spacing); over cases: the mean per label, with bootstrap confidence intervals over cases.
 * Memory: one pair of volumes at a time, plus one row of scores per case.
 */
import type { Image } from '../../core/image.js';
import { InputError, OptionsError } from '../../core/errors.js';
import { readImage } from '../../ops/image/io/read-image.js';
import { bootstrapCi, type BootstrapMethod } from '../ci/bootstrap-ci.js';
import type { CiMethod } from '../ci/ci-summary.js';
import { runMetric } from '../metrics/run-metric.js';
import { caseMeans } from './case-means.js';
import { checkSameGrid } from './grid-check.js';
import { LABEL_SCORES, labelCaseScores, type CaseScores, type LabelScore } from './label-case-scores.js';
import type { Volume } from './label-volumes.js';
import { pairLabelFiles } from './pair-label-files.js';

/** Bootstrap options of {@link evaluateLabelFiles} (cases are resampled). */
export interface LabelFilesCiOptions {
  /** Replicates. */
  readonly replicates: number;
  /** Seed; default `DEFAULT_SEED`. */
  readonly seed?: number;
  /** Interval method; default `'percentile'`. */
  readonly ciMethod?: CiMethod;
  /** `'fusemedml'` (default: cases drawn with replacement, numpy's RNG, as FuseMedML's CI) or `'rows'` (Poisson weights keyed by case id). */
  readonly resample?: Exclude<BootstrapMethod, 'state'>;
  /** Confidence level in percent; default 95. */
  readonly confInterval?: number;
}

/** Options of {@link evaluateLabelFiles}. */
export interface EvaluateLabelFilesOptions {
  /** Folder of prediction label files. */
  readonly predDir: string;
  /** Folder of ground-truth label files. */
  readonly truthDir: string;
  /** Regular expression whose first group is a file's case id (see `pairLabelFiles`); default the name without its image extension. */
  readonly pairPattern?: string;
  /** Labels to score; default every non-zero label of the ground truth (per case), summarised over the union. */
  readonly labels?: readonly number[];
  /** Bootstrap CIs over cases; default none. */
  readonly ci?: LabelFilesCiOptions;
  /** Called after each case is scored. */
  readonly onCase?: (done: number, total: number, id: string) => void;
}

/** One scored case. */
export interface LabelFileCase extends CaseScores {
  readonly pred: string;
  readonly truth: string;
}

/** What {@link evaluateLabelFiles} returns. */
export interface LabelFilesResult {
  /** Per score: per label the mean over cases (a CI result `{ org, mean, std, conf_lower, … }` with `ci`), and `average` over labels. */
  readonly metrics: Readonly<Record<LabelScore, Readonly<Record<string, unknown>>>>;
  /** Per case id: the files and the per-label scores (NaN: undefined, see `labelCaseScores`). */
  readonly cases: Readonly<Record<string, LabelFileCase>>;
  /** Per label: cases whose prediction lacks a label the ground truth has (Dice 0; no distance). */
  readonly missing: Readonly<Record<string, number>>;
}

/**
 * Scores every case of `predDir` against `truthDir`.
 *
 * @example
 * const r = await evaluateLabelFiles({ predDir: 'pred/', truthDir: 'labels/', ci: { replicates: 1000 } });
 * r.metrics.dice['1']; // { org: 0.91, …, conf_lower: 0.88, conf_upper: 0.93 }
 * @throws OptionsError for bad options; InputError for unpaired files (listed), differing grids
 *   (both files named), a file that is not a label volume (non-integer values, several
 *   components) or that cannot be read.
 */
export async function evaluateLabelFiles(options: EvaluateLabelFilesOptions): Promise<LabelFilesResult> {
  if (options.labels !== undefined && !options.labels.every((l) => Number.isInteger(l) && l > 0)) throw new OptionsError('labels must be positive integers');
  const pairs = pairLabelFiles(options.predDir, options.truthDir, options.pairPattern === undefined ? {} : { pattern: options.pairPattern });
  const cases: Record<string, LabelFileCase> = {};
  const missing: Record<string, number> = {};
  const labelSet = new Set<number>(options.labels ?? []);
  for (const [k, pair] of pairs.entries()) {
    const pred = await readImage(pair.pred);
    const truth = await readImage(pair.truth);
    checkSameGrid(pred, truth, pair.pred, pair.truth);
    const pv = labelVolume(pred, pair.pred);
    const tv = labelVolume(truth, pair.truth);
    const { scores, missing: lacking } = labelCaseScores(pv, tv, options.labels === undefined ? {} : { labels: options.labels });
    for (const l of Object.keys(scores.dice)) labelSet.add(Number(l));
    for (const l of lacking) missing[String(l)] = (missing[String(l)] ?? 0) + 1;
    cases[pair.id] = { pred: pair.pred, truth: pair.truth, ...scores };
    options.onCase?.(k + 1, pairs.length, pair.id);
  }
  const labels = [...labelSet].sort((a, b) => a - b).map(String);
  if (labels.length === 0) throw new InputError(`no ground-truth file in '${options.truthDir}' holds a non-zero label`);
  const ids = Object.keys(cases);
  const table: Record<string, ArrayLike<unknown>> = { id: ids };
  for (const s of LABEL_SCORES) for (const l of labels) table[`${s}/${l}`] = Float64Array.from(ids, (id) => (cases[id] as LabelFileCase)[s][l] ?? Number.NaN);
  const means = caseMeans({ scores: LABEL_SCORES, labels });
  const ci = options.ci;
  const metric =
    ci === undefined
      ? means
      : bootstrapCi({
          metric: means,
          replicates: ci.replicates,
          method: ci.resample ?? 'fusemedml',
          rowKey: 'id',
          ...(ci.seed === undefined ? {} : { seed: ci.seed }),
          ...(ci.ciMethod === undefined ? {} : { ciMethod: ci.ciMethod }),
          ...(ci.confInterval === undefined ? {} : { confInterval: ci.confInterval }),
        });
  const metrics = runMetric(metric, () => [table]).result as Record<LabelScore, Record<string, unknown>>;
  return { metrics, cases, missing };
}

/** A single-component image of integer labels as a Volume (shape slowest first, spacing per shape axis). */
function labelVolume(img: Image, file: string): Volume {
  if (img.components !== 1) throw new InputError(`a label file must hold one value per voxel, this one holds ${img.components} components`, { file });
  const data = img.data as ArrayLike<number>;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (!Number.isInteger(v)) throw new InputError(`not a label volume: voxel ${i} holds ${v}, labels are whole numbers (threshold or argmax probabilities first)`, { file });
  }
  return { data, shape: img.shape, spacing: [...img.spacing].reverse() };
}
