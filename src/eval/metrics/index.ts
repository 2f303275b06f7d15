/**
 * Incremental, mergeable evaluation metrics. `METRICS_BY_CLI_NAME` maps the names accepted by
 * `fuseflow eval --metrics` to factories of the common CLI options.
 *
 * | CLI name | factory | binary (`pred`) | multi-class (`preds`) |
 * | --- | --- | --- | --- |
 * | auc | `auc` | AUC-ROC of the positive class | one-vs-rest per class + macro/weighted |
 * | aucpr | `aucPr` | average precision | one-vs-rest |
 * | roc | `rocCurve` | ROC curve points | one-vs-rest (per class, AUC values) |
 * | accuracy | `accuracy` | thresholded at `threshold` | argmax |
 * | balanced-accuracy | `balancedAccuracy` | idem | idem |
 * | confusion | `confusion` | sensitivity, specificity, PPV, NPV, F1, counts | per class + macro_avg |
 * | confusion-matrix | `confusionMatrix` | 2×2 counts and row percentages | k×k |
 * | brier | `brier` | (p − y)² | Σ_k (p_k − y_k)² |
 * | bss | `brierSkillScore` | 1 − BS/BS_ref | idem |
 * | mcc | `mcc` | Matthews correlation | multi-class R_K |
 * | logloss | `logLoss` | cross-entropy | idem |
 */
import type { Metric } from '../metric.js';
import { accuracy } from './accuracy.js';
import { auc } from './auc.js';
import { aucPr } from './aucpr.js';
import { balancedAccuracy } from './balanced-accuracy.js';
import type { BinaryKeys } from './binary-rows.js';
import { brier } from './brier.js';
import { brierSkillScore } from './brier-skill-score.js';
import type { Label, NonFinitePolicy } from './columns.js';
import { confusion } from './confusion.js';
import { confusionMatrix } from './confusion-matrix.js';
import { logLoss } from './log-loss.js';
import { mcc } from './mcc.js';
import { oneVsRest } from './one-vs-rest.js';
import { rocCurve } from './roc-curve.js';

export { auc, type AucOptions } from './auc.js';
export { aucPr, type AucPrOptions } from './aucpr.js';
export { rocCurve, type RocCurve, type RocCurveOptions } from './roc-curve.js';
export { accuracy, type AccuracyOptions } from './accuracy.js';
export { balancedAccuracy, type BalancedAccuracyOptions } from './balanced-accuracy.js';
export { confusion, type ConfusionOptions, type ConfusionStats, type ConfusionByClass } from './confusion.js';
export { confusionMatrix, type ConfusionMatrixOptions, type ConfusionMatrixResult } from './confusion-matrix.js';
export { mcc, type MccOptions } from './mcc.js';
export { brier, type BrierOptions, type BrierState } from './brier.js';
export { brierSkillScore, type BrierSkillScoreOptions } from './brier-skill-score.js';
export { logLoss, type LogLossOptions, type LogLossState } from './log-loss.js';
export { oneVsRest, type OneVsRestOptions, type OneVsRestResult } from './one-vs-rest.js';
export { type ClassCountOptions, type ClassCountState, type OperationPoint } from './class-counts.js';
export { type BinaryKeys } from './binary-rows.js';
export { type Label, type NonFinitePolicy } from './columns.js';
export { type ProbKeys } from './prob-rows.js';
export { type RankingOptions } from './ranking-metric.js';
export { type ScoreHistogramState } from './score-histogram.js';
export { MetricInputError } from '../metric-input-error.js';

/** The options the CLI (and any caller mapping names to metrics) passes. */
export interface CliMetricOptions {
  /** Result name. Default: the CLI name. */
  readonly name?: string;
  /** Binary: column of positive-class scores. */
  readonly pred?: string;
  /** Multi-class: one probability column per class (then targets are class names or indices). */
  readonly preds?: readonly string[];
  readonly target: string;
  /** Class names, in `preds` order. */
  readonly classNames?: readonly Label[];
  /** Binary: the positive label. */
  readonly positive?: Label;
  /** Binary decision threshold (strictly above is positive). Default 0.5. */
  readonly threshold?: number;
  readonly idKey?: string;
  readonly nonFinite?: NonFinitePolicy;
}

type AnyMetric = Metric<unknown, unknown>;

function binaryOrOvr(cliName: string, make: (keys: BinaryKeys & { readonly name: string }) => Metric<unknown, number>) {
  return (o: CliMetricOptions): AnyMetric => {
    const name = o.name ?? cliName;
    const common = { ...(o.idKey === undefined ? {} : { idKey: o.idKey }), ...(o.nonFinite === undefined ? {} : { nonFinite: o.nonFinite }) };
    if (o.preds !== undefined) {
      return oneVsRest({ name, preds: o.preds, target: o.target, ...(o.classNames === undefined ? {} : { classNames: o.classNames }), metric: make, ...common }) as AnyMetric;
    }
    return make({
      name,
      pred: o.pred ?? '',
      target: o.target,
      ...(o.classNames === undefined ? {} : { classNames: o.classNames }),
      ...(o.positive === undefined ? {} : { positive: o.positive }),
      ...common,
    });
  };
}

function classCount(cliName: string, make: (o: Parameters<typeof accuracy>[0]) => AnyMetric) {
  return (o: CliMetricOptions): AnyMetric => make({ ...o, name: o.name ?? cliName } as Parameters<typeof accuracy>[0]);
}

function prob(cliName: string, make: (o: Parameters<typeof brier>[0]) => AnyMetric) {
  return (o: CliMetricOptions): AnyMetric => {
    const { threshold, ...rest } = o;
    void threshold;
    return make({ ...rest, name: o.name ?? cliName } as Parameters<typeof brier>[0]);
  };
}

/** CLI metric names → factories of `CliMetricOptions`. */
export const METRICS_BY_CLI_NAME: Readonly<Record<string, (o: CliMetricOptions) => AnyMetric>> = {
  auc: binaryOrOvr('auc', (k) => auc(k) as Metric<unknown, number>),
  aucpr: binaryOrOvr('aucpr', (k) => aucPr(k) as Metric<unknown, number>),
  roc: (o) => (o.preds !== undefined ? binaryOrOvr('roc', (k) => auc(k) as Metric<unknown, number>)(o) : (rocCurve({ ...o, name: o.name ?? 'roc', pred: o.pred ?? '' } as Parameters<typeof rocCurve>[0]) as AnyMetric)),
  accuracy: classCount('accuracy', (o) => accuracy(o) as AnyMetric),
  'balanced-accuracy': classCount('balanced-accuracy', (o) => balancedAccuracy(o) as AnyMetric),
  confusion: classCount('confusion', (o) => confusion(o) as AnyMetric),
  'confusion-matrix': classCount('confusion-matrix', (o) => confusionMatrix(o) as AnyMetric),
  mcc: classCount('mcc', (o) => mcc(o) as AnyMetric),
  brier: prob('brier', (o) => brier(o) as AnyMetric),
  bss: prob('bss', (o) => brierSkillScore(o) as AnyMetric),
  logloss: prob('logloss', (o) => logLoss(o) as AnyMetric),
};
