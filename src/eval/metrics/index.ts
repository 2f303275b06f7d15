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
 * | ece | `ece` | `{ ece, mce }`, 10 bins, on [1 − p, p] | on the class probabilities |
 * | reliability | `reliabilityDiagram` | bins, accuracy, confidence | idem |
 * | mae, mse, rmse, r2 | regression metrics | `pred` = prediction, `target` = value | — |
 * | pearson, spearman | correlations | `{ statistic, p_value }` | — |
 *
 * Wrappers (not CLI names; the CLI applies them from its flags): `bootstrapCi` (`--ci N`),
 * `groupBy` (`--group-by`), `perFold` (`--fold`), `oneVsRest` (several `--pred` columns).
 */
import { OptionsError } from '../../core/errors.js';
import type { Metric } from '../metric.js';
import { accuracy } from './accuracy.js';
import { auc } from './auc.js';
import { aucPr } from './aucpr.js';
import { balancedAccuracy } from './balanced-accuracy.js';
import type { BinaryKeys } from './binary-rows.js';
import { brier } from './brier.js';
import { brierSkillScore } from './brier-skill-score.js';
import type { ClassKeys } from './class-keys.js';
import { confusion } from './confusion.js';
import { confusionMatrix } from './confusion-matrix.js';
import { logLoss } from './log-loss.js';
import { mcc } from './mcc.js';
import { oneVsRest } from './one-vs-rest.js';
import { rocCurve } from './roc-curve.js';
import { ece } from '../calibration/ece.js';
import { reliabilityDiagram } from '../calibration/reliability-diagram.js';
import { mae } from '../regression/mae.js';
import { mse } from '../regression/mse.js';
import { rmse } from '../regression/rmse.js';
import { r2 } from '../regression/r2.js';
import { pearson } from '../regression/pearson.js';
import { spearman } from '../regression/spearman.js';

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
export { type ClassKeys } from './class-keys.js';
export { type ProbKeys } from './prob-rows.js';
export { type RankingOptions } from './ranking-metric.js';
export { type ScoreHistogramState } from './score-histogram.js';
export { aucRocPr, type AucRocPrResult } from './auc-roc-pr.js';
export { multiLabelAuc, type MultiLabelAucOptions } from './multi-label-auc.js';
export { derivedMetric, type DerivedMetricOptions } from './derived-metric.js';
export { applyThresholds, type ApplyThresholdsOptions } from './apply-thresholds.js';
export { runMetric, type RunMetricOptions, type RunMetricResult } from './run-metric.js';
export { MetricInputError } from '../metric-input-error.js';
export { bootstrapCi, rowWeights, type BootstrapCiOptions, type BootstrapMethod } from '../ci/bootstrap-ci.js';
export { ciOf, ciTree, CI_METHODS, type CiMethod, type CiResult, type CiTree } from '../ci/ci-summary.js';
export { DEFAULT_SEED } from '../ci/default-seed.js';
export { delongTest, delongCovariance, type DelongTestOptions, type DelongResult } from '../compare/delong.js';
export { delongTestOneVsRest, type DelongTestOneVsRestOptions, type DelongOneVsRestResult } from '../compare/delong-one-vs-rest.js';
export { mcnemarTest, type McnemarTestOptions, type McnemarResult, type McnemarState } from '../compare/mcnemar.js';
export { pairedBootstrap, type PairedBootstrapOptions, type ComparisonMethod, type ComparisonResult } from '../compare/paired-bootstrap.js';
export { groupBy, perFold, type GroupByOptions, type GroupByState, type PerFoldOptions } from '../analysis/group-by.js';
export { reliabilityDiagram, type ReliabilityDiagram, type ReliabilityDiagramOptions, type CalibrationState } from '../calibration/reliability-diagram.js';
export { ece, type EceOptions, type EceResult } from '../calibration/ece.js';
export { findTemperature, applyTemperature, softmaxWithTemperature, type FindTemperatureOptions, type ApplyTemperatureOptions } from '../calibration/temperature.js';
export { mae } from '../regression/mae.js';
export { mse } from '../regression/mse.js';
export { rmse } from '../regression/rmse.js';
export { r2 } from '../regression/r2.js';
export { pearson, type CorrelationResult } from '../regression/pearson.js';
export { spearman, type SpearmanOptions } from '../regression/spearman.js';
export { type RegressionKeys, type RegressionState } from '../regression/regression-sums.js';
export { cIndex, harrellC, type CIndexOptions } from '../survival/c-index.js';
export { dice } from '../segmentation/dice.js';
export { iou } from '../segmentation/iou.js';
export { overlap } from '../segmentation/overlap.js';
export { pixelAccuracy } from '../segmentation/pixel-accuracy.js';
export { hausdorff, hausdorffDistance, type HausdorffOptions, type HausdorffState } from '../segmentation/hausdorff.js';
export { type SegmentationKeys, type Volume } from '../segmentation/label-volumes.js';
export { type OverlapResult, type OverlapState, type OverlapWeights } from '../segmentation/overlap-metric.js';
export { perplexity, type PerplexityOptions, type PerplexityState } from '../sequence/perplexity.js';
export { countTokens, type CountTokensOptions, type TokenCounts } from '../sequence/count-tokens.js';
export { ExactSum, exactSum } from '../stats/exact-sum.js';
export { NumpyRandomState } from '../stats/numpy-random-state.js';

/** The options the CLI (and any caller mapping names to metrics) passes: the shared class keys and a threshold. */
export interface CliMetricOptions extends ClassKeys {
  /** Binary decision threshold (strictly above is positive). Default 0.5. */
  readonly threshold?: number;
}

type AnyMetric = Metric<unknown, unknown>;

function binaryOrOvr(cliName: string, make: (keys: BinaryKeys & { readonly name: string }) => Metric<unknown, number>) {
  return (o: CliMetricOptions): AnyMetric => {
    const name = o.name ?? cliName;
    const common = { ...(o.idKey === undefined ? {} : { idKey: o.idKey }), ...(o.nonFinite === undefined ? {} : { nonFinite: o.nonFinite }) };
    if (o.preds !== undefined) {
      return oneVsRest({ name, preds: o.preds, target: o.target, ...(o.classNames === undefined ? {} : { classNames: o.classNames }), metric: make, ...common });
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
  return (o: CliMetricOptions): AnyMetric => make({ ...o, name: o.name ?? cliName });
}

function prob(cliName: string, make: (o: Parameters<typeof brier>[0]) => AnyMetric) {
  return (o: CliMetricOptions): AnyMetric => {
    const { threshold, ...rest } = o;
    void threshold;
    return make({ ...rest, name: o.name ?? cliName });
  };
}

function regression(cliName: string, make: (o: { name: string; pred: string; target: string; idKey?: string }) => AnyMetric) {
  return (o: CliMetricOptions): AnyMetric => {
    if (o.pred === undefined) throw new OptionsError(`${cliName}: a regression metric needs one --pred column`);
    return make({ name: o.name ?? cliName, pred: o.pred, target: o.target, ...(o.idKey === undefined ? {} : { idKey: o.idKey }) });
  };
}

/** CLI metric names → factories of `CliMetricOptions`. */
export const METRICS_BY_CLI_NAME: Readonly<Record<string, (o: CliMetricOptions) => AnyMetric>> = {
  auc: binaryOrOvr('auc', (k) => auc(k)),
  aucpr: binaryOrOvr('aucpr', (k) => aucPr(k)),
  roc: (o) => (o.preds !== undefined ? binaryOrOvr('roc', (k) => auc(k))(o) : rocCurve({ ...o, name: o.name ?? 'roc', pred: o.pred ?? '' })),
  accuracy: classCount('accuracy', (o) => accuracy(o)),
  'balanced-accuracy': classCount('balanced-accuracy', (o) => balancedAccuracy(o)),
  confusion: classCount('confusion', (o) => confusion(o)),
  'confusion-matrix': classCount('confusion-matrix', (o) => confusionMatrix(o)),
  mcc: classCount('mcc', (o) => mcc(o)),
  brier: prob('brier', (o) => brier(o)),
  bss: prob('bss', (o) => brierSkillScore(o)),
  logloss: prob('logloss', (o) => logLoss(o)),
  ece: prob('ece', (o) => ece(o)),
  reliability: prob('reliability', (o) => reliabilityDiagram(o)),
  mae: regression('mae', (o) => mae(o)),
  mse: regression('mse', (o) => mse(o)),
  rmse: regression('rmse', (o) => rmse(o)),
  r2: regression('r2', (o) => r2(o)),
  pearson: regression('pearson', (o) => pearson(o)),
  spearman: regression('spearman', (o) => spearman(o)),
};
