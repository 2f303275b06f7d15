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
  type ClassKeys,
  type ProbKeys,
  type RankingOptions,
  type ScoreHistogramState,
  aucRocPr,
  type AucRocPrResult,
  multiLabelAuc,
  type MultiLabelAucOptions,
  derivedMetric,
  type DerivedMetricOptions,
  applyThresholds,
  type ApplyThresholdsOptions,
  runMetric,
  type RunMetricOptions,
  type RunMetricResult,
  MetricInputError,
  bootstrapCi,
  DEFAULT_SEED,
  rowWeights,
  type BootstrapCiOptions,
  type BootstrapMethod,
  ciOf,
  ciTree,
  CI_METHODS,
  type CiMethod,
  type CiResult,
  type CiTree,
  delongTest,
  delongCovariance,
  type DelongTestOptions,
  type DelongResult,
  delongTestOneVsRest,
  type DelongTestOneVsRestOptions,
  type DelongOneVsRestResult,
  mcnemarTest,
  type McnemarTestOptions,
  type McnemarResult,
  type McnemarState,
  pairedBootstrap,
  type PairedBootstrapOptions,
  type ComparisonMethod,
  type ComparisonResult,
  groupBy,
  perFold,
  type GroupByOptions,
  type GroupByState,
  type PerFoldOptions,
  reliabilityDiagram,
  type ReliabilityDiagram,
  type ReliabilityDiagramOptions,
  type CalibrationState,
  ece,
  type EceOptions,
  type EceResult,
  findTemperature,
  applyTemperature,
  softmaxWithTemperature,
  type FindTemperatureOptions,
  type ApplyTemperatureOptions,
  mae,
  mse,
  rmse,
  r2,
  pearson,
  type CorrelationResult,
  spearman,
  type SpearmanOptions,
  type RegressionKeys,
  type RegressionState,
  cIndex,
  harrellC,
  type CIndexOptions,
  dice,
  iou,
  overlap,
  pixelAccuracy,
  hausdorff,
  hausdorffDistance,
  type HausdorffOptions,
  type HausdorffState,
  type SegmentationKeys,
  type Volume,
  type OverlapResult,
  type OverlapState,
  type OverlapWeights,
  perplexity,
  type PerplexityOptions,
  type PerplexityState,
  countTokens,
  type CountTokensOptions,
  type TokenCounts,
  ExactSum,
  exactSum,
  NumpyRandomState,
  type CliMetricOptions,
  METRICS_BY_CLI_NAME,
} from './metrics/index.js';
export { evaluate, evaluateStates, resultsOf, type EvaluateOptions, type EvaluateResult, type EvaluateStatesOptions, type EvaluatedStates } from './evaluate.js';
export { isMetricsRecipe, type MetricSet, type MetricsRecipe } from './parallel/metrics-recipe.js';
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
export { arrowSource, arrowTableSource, type ArrowSourceOptions } from './sources/arrow-source.js';
export { csvSource, type CsvSourceOptions, type CsvColumnType } from './sources/csv-source.js';
export {
  iterableSource,
  type IterableSourceOptions,
  observableSource,
  type BatchIterable,
  type BatchSubscribable,
  type ObservableSourceOptions,
} from './sources/iterable-source.js';
export { joinSources, type JoinSourcesOptions, type JoinCounts, type JoinedSource, type MissingPolicy } from './sources/join-sources.js';
export { concatSources, type ConcatSourcesOptions } from './sources/concat-sources.js';
export { expandInput, isGlob, PREDICTION_EXTENSIONS } from './sources/path-glob.js';
export { emptySource, fileSetSource, type FilePart, type FileSetSourceOptions } from './sources/file-set-source.js';
export { MAX_SHARDS, parseShard, recordBatchCount, shardShare, shareOfUnits, type ShardIndex } from './shard/shard-share.js';
export { decodeStateFile, encodeStateFile, readStateFile, STATE_FILE_MAGIC, writeStateFile, type StateFile, type StateFileHeader } from './shard/state-file.js';
export { checkShardSet, mergeShardStates, type ShardSet } from './shard/shard-set.js';
export { spillSource, type SpillSourceOptions, type SpilledSource } from './sources/spill-source.js';
export { scoreSource, scoreBatch, SCORE_KINDS, type ScoreKind, type ScoreSourceOptions } from './sources/score-source.js';
export { ensembleScores, checkEnsembleWeights, ENSEMBLE_METHODS, type EnsembleMethod, type EnsembleScoresOptions } from './ensemble/ensemble-scores.js';
export { ensembleSource, type EnsembleSourceOptions } from './ensemble/ensemble-source.js';
export { contingencyTable, type ContingencyTableOptions, type ContingencyTable } from './compare/contingency-table.js';
export { surfaceDistance, averageSurfaceDistance, directedSurfaceDistances, type SurfaceDistanceOptions } from './segmentation/surface-distance.js';
export { labelCaseScores, LABEL_SCORES, type LabelScore, type CaseScores, type LabelCaseScoresOptions } from './segmentation/label-case-scores.js';
export { caseMeans, type CaseMeansOptions, type CaseMeansState } from './segmentation/case-means.js';
export { instanceDetection, instanceIou, type InstanceDetectionOptions, type InstanceDetectionState, type InstanceDetectionResult } from './segmentation/instance-detection.js';
export { checkSameGrid, GRID_TOLERANCE } from './segmentation/grid-check.js';
export { pairLabelFiles, type LabelFilePair, type PairLabelFilesOptions } from './segmentation/pair-label-files.js';
export { evaluateLabelFiles, type EvaluateLabelFilesOptions, type LabelFilesCiOptions, type LabelFileCase, type LabelFilesResult } from './segmentation/evaluate-label-files.js';
export { renderReport, writeReport } from './report/render-report.js';
export type { ReportInput, ReportRoc, ReportPr, ReportReliability, ReportReliabilityBin, ReportConfusion } from './report/report-input.js';
export { rocBand, type RocBand, type RocBandOptions } from './report/roc-band.js';
export { curvesFromRoc, type CurvesFromRocOptions } from './report/curves-from-roc.js';
export { reportMetrics, reportInput, omittedPlots, REPORT_PREFIX, type ReportInputOptions } from './report/report-from-results.js';
export { renderSvg } from './report/render-svg.js';
