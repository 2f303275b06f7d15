/** The trainer: models on batch dicts, losses, the fit loop, checkpoints, inference to Arrow, backend choice. */
export { type BackendName, type UseBackendOptions, type BackendChoice, useBackend } from './backend.js';
export { type ReadContext, readBatchTensor } from './batch-input.js';
export { type ModelInput, type Backbone, type Head } from './models/backbone.js';
export { type BuildContext, buildContext } from './models/build-context.js';
export { type BatchNormArgs, FuseflowBatchNorm, batchNorm } from './models/batch-norm.js';
export { type SeededDropoutArgs, FuseflowDropout, seededDropout } from './models/seeded-dropout.js';
export { type DictModel, type DictModelBinding, dictModel } from './models/dict-model.js';
export { type MultiHeadModelOptions, multiHeadModel } from './models/multi-head-model.js';
export { type MlpOptions, mlp } from './models/mlp.js';
export { type ResnetOptions, resnet } from './models/resnet.js';
export { type Unet3dOptions, unet3d } from './models/unet3d.js';
export { type LayersBackboneOptions, layersBackbone } from './models/layers-backbone.js';
export { type SaveLayersModelOptions, layersModelFiles, saveLayersModelFiles, loadLayersModel } from './models/layers-model-files.js';
export { type ParamGroup, selectLayers, freeze, unfreeze } from './models/trainable.js';
export { type Pooling } from './heads/global-pool.js';
export { type ClassificationHeadOptions, classificationHead } from './heads/classification-head.js';
export { type SegmentationHeadOptions, segmentationHead } from './heads/segmentation-head.js';
export { type RegressionHeadOptions, regressionHead } from './heads/regression-head.js';
export { type LateFusionHeadOptions, lateFusionHead } from './heads/late-fusion-head.js';
export { type Loss, type LossOptions, type LossValues, totalLoss } from './losses/loss.js';
export { type CrossEntropyOptions, crossEntropy } from './losses/cross-entropy.js';
export { type BinaryCrossEntropyOptions, binaryCrossEntropy } from './losses/binary-cross-entropy.js';
export { type DiceOptions, dice } from './losses/dice.js';
export { type FocalOptions, focal } from './losses/focal.js';
export { type MseOptions, mse } from './losses/mse.js';
export { type OptimizerConfig, type OptimizerState, type OptimizerSlot, type Optimizer, type CreateOptimizerOptions, createOptimizer } from './optim/optimizer.js';
export { type LrScheduleConfig, type LrSchedule, lrSchedule } from './optim/lr-schedule.js';
export { clipByGlobalNorm, clipByGlobalNormAsync } from './optim/clip-gradients.js';
export { type ReduceOnPlateauConfig, type PlateauState, type ReduceOnPlateau, reduceOnPlateau } from './optim/reduce-on-plateau.js';
export { type Callback, type CallbackContext, type EpochEndContext } from './loop/callbacks.js';
export { type TrainState, type Checkpoint, saveCheckpoint, readCheckpoint, restoreWeights, loadModel } from './checkpoint.js';
export { type ProgressFrame, type ProgressBar, type ProgressBarOptions, progressBar } from './progress-bar.js';
export { type StreamPosition, type FitOptions, type EpochLog, type ValidationResult, type FitResult, fit } from './fit.js';
export { type InferToArrowOptions, type InferResult, inferToArrow } from './infer.js';
export { TrainingError } from './training-error.js';
export { type BlendMode, importanceMap } from './inference/importance-map.js';
export { type WindowGrid, windowGrid } from './inference/window-grid.js';
export { type WindowPredictor, type SlidingWindowOptions, type SlidingWindowProgress, slidingWindow } from './inference/sliding-window.js';
export { type FlipTtaOptions, flipTta } from './inference/tta.js';
export { type DictModelPredictorOptions, dictModelPredictor, modelWindow } from './inference/model-predictor.js';
export { type ToLabelsOptions, toLabels } from './inference/to-labels.js';
export { type PredictVolumeOptions, type VolumePrediction, predictVolume } from './inference/predict-volume.js';
export { type StitchPatchesOptions, stitchPatches } from './inference/stitch-patches.js';
export {
  type BalanceValue,
  type FoldPlanOptions,
  type FoldPlanSample,
  type FoldPlan,
  type FixedFoldPlanOptions,
  makeFoldPlan,
  fixedFoldPlan,
  foldIds,
} from './cross-validate/fold-plan.js';
export {
  type FoldPlanChange,
  type FoldPlanChanges,
  type FoldPlanData,
  type FoldPlanFileOptions,
  type FoldPlanFileResult,
  writeFoldPlan,
  readFoldPlan,
  readSplitLists,
  foldPlanChanges,
  describeChanges,
  foldPlanFile,
} from './cross-validate/fold-file.js';
export { type FoldPredictions, type WriteOutOfFoldOptions, type OutOfFoldResult, writeOutOfFold } from './cross-validate/out-of-fold.js';
export {
  type FoldSplit,
  type FoldFitOptions,
  type CrossValidateCi,
  type CrossValidateOptions,
  type FoldOutcome,
  type OverFolds,
  type CrossValidateResult,
  CROSS_VALIDATION_FILES,
  crossValidate,
} from './cross-validate/cross-validate.js';
