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

export { METRICS_BY_CLI_NAME, type CliMetricOptions } from './cli-metrics.js';
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
