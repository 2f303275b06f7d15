/**
 * fuseflow's evaluation package (FuseMedML's fuse.eval for inputs larger than memory): the
 * incremental metric contract, the metrics, `evaluate` over streamed sources, and the HTML
 * report.
 */
export type { EvalBatch, MetricResults, MetricPass, Metric, MetricStatus } from './metric.js';
export {
  auc,
  type AucOptions,
  aucPr,
  type AucPrOptions,
  rocCurve,
  type RocCurve,
  type RocCurveOptions,
  accuracy,
  type AccuracyOptions,
  balancedAccuracy,
  type BalancedAccuracyOptions,
  confusion,
  type ConfusionOptions,
  type ConfusionStats,
  type ConfusionByClass,
  confusionMatrix,
  type ConfusionMatrixOptions,
  type ConfusionMatrixResult,
  mcc,
  type MccOptions,
  brier,
  type BrierOptions,
  type BrierState,
  brierSkillScore,
  type BrierSkillScoreOptions,
  logLoss,
  type LogLossOptions,
  type LogLossState,
  oneVsRest,
  type OneVsRestOptions,
  type OneVsRestResult,
  type ClassCountOptions,
  type ClassCountState,
  type OperationPoint,
  type BinaryKeys,
  type Label,
  type NonFinitePolicy,
  type ProbKeys,
  type RankingOptions,
  type ScoreHistogramState,
  MetricInputError,
  type CliMetricOptions,
  METRICS_BY_CLI_NAME,
} from './metrics/index.js';
export { bootstrapCi, type BootstrapCiOptions, type BootstrapMethod } from './ci/bootstrap-ci.js';
export type { CiResult, CiTree } from './ci/ci-summary.js';
export { delongTest, type DelongTestOptions, type DelongResult } from './compare/delong.js';
export { mcnemarTest, type McnemarTestOptions, type McnemarResult } from './compare/mcnemar.js';
export { pairedBootstrap, type PairedBootstrapOptions, type ComparisonMethod, type ComparisonResult } from './compare/paired-bootstrap.js';
export { groupBy, type GroupByOptions, perFold, type PerFoldOptions } from './analysis/group-by.js';
export { ece, type EceOptions, type EceResult } from './calibration/ece.js';
export { reliabilityDiagram, type ReliabilityDiagramOptions, type ReliabilityDiagram } from './calibration/reliability-diagram.js';
export { findTemperature, type FindTemperatureOptions, applyTemperature, type ApplyTemperatureOptions, softmaxWithTemperature } from './calibration/temperature.js';
export { evaluate, type EvaluateOptions, type EvaluateResult } from './evaluate.js';
export { type EvalProgress, formatProgress, progressPrinter } from './evaluate-progress.js';
export {
  type EvalInput,
  type EvalInputs,
  type EvalData,
  type EvalInputOptions,
  FOLD_COLUMN,
  fileSource,
  type FileSourceOptions,
  toEvalSource,
  isEvalSource,
} from './evaluate-input.js';
export type { EvalSource, SourceBatch, BatchHandler, RowOrigin } from './sources/eval-source.js';
export { arraySource, type ArraySourceOptions } from './sources/array-source.js';
export { arrowSource, type ArrowSourceOptions } from './sources/arrow-source.js';
export { csvSource, type CsvSourceOptions, type CsvColumnType } from './sources/csv-source.js';
export { iterableSource, type IterableSourceOptions, observableSource, type BatchIterable, type BatchSubscribable, type ObservableSourceOptions } from './sources/iterable-source.js';
export { joinSources, type JoinSourcesOptions, type JoinCounts, type JoinedSource, type MissingPolicy } from './sources/join-sources.js';
export { concatSources, type ConcatSourcesOptions } from './sources/concat-sources.js';
export { spillSource, type SpillSourceOptions, type SpilledSource } from './sources/spill-source.js';
export { renderReport, writeReport } from './report/render-report.js';
export type { ReportInput, ReportRoc, ReportPr, ReportReliability, ReportReliabilityBin, ReportConfusion } from './report/report-input.js';
export { rocBand, type RocBand, type RocBandOptions } from './report/roc-band.js';
export { curvesFromRoc, type CurvesFromRocOptions } from './report/curves-from-roc.js';
export { reportMetrics, reportInput, type ReportInputOptions } from './report/report-from-results.js';
export { renderSvg } from './report/render-svg.js';
