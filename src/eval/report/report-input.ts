/**
 * What the HTML evaluation report shows: the results table and the data of each plot. Every
 * plot is optional; the report draws those given.
 */
import type { MetricResults } from '../metric.js';
import type { RocBand } from './roc-band.js';

/** One ROC curve (one per class for one-vs-rest). */
export interface ReportRoc {
  readonly label: string;
  readonly fpr: readonly number[];
  readonly tpr: readonly number[];
  readonly auc?: number;
  /** Pointwise confidence band (see `rocBand`). */
  readonly band?: RocBand;
}

/** One precision-recall curve; `recall` ascending. */
export interface ReportPr {
  readonly label: string;
  readonly recall: readonly number[];
  readonly precision: readonly number[];
  readonly ap?: number;
  /** Precision of a random classifier (the positive rate), drawn as a baseline. */
  readonly baseline?: number;
}

/** One bin of a reliability diagram. */
export interface ReportReliabilityBin {
  /** Bin edges on the confidence axis. */
  readonly lower: number;
  readonly upper: number;
  /** Mean predicted confidence and observed accuracy (or positive fraction) in the bin. */
  readonly confidence: number;
  readonly accuracy: number;
  readonly count: number;
}

/** A reliability (calibration) diagram. */
export interface ReportReliability {
  readonly bins: readonly ReportReliabilityBin[];
  readonly ece?: number;
  /** What the accuracy axis means, e.g. `'fraction of positives'`. */
  readonly accuracyLabel?: string;
}

/** A confusion matrix: `count[true][predicted]`. */
export interface ReportConfusion {
  readonly classNames: readonly string[];
  readonly count: readonly (readonly number[])[];
}

/** Everything the report shows. */
export interface ReportInput {
  /** Page title; default `'fuseflow evaluation report'`. */
  readonly title?: string;
  /** Lines describing the run (inputs, rows, options), shown under the title. */
  readonly about?: readonly string[];
  /** Results by metric name, as `evaluate` returns them. */
  readonly metrics: MetricResults;
  readonly roc?: readonly ReportRoc[];
  readonly pr?: readonly ReportPr[];
  readonly reliability?: ReportReliability;
  readonly confusion?: ReportConfusion;
}
