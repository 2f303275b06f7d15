// The op contract, the registry, pipelines and every built-in op family. Importing this module
// registers all built-in ops (workers import it to rebuild pipelines from specs).
export { type Op, type OpSpec, type OpKind, type OpResult, type OpContext, SampleContext, specOf, withId, childContext } from './op.js';
export { type OpFactory, type OpDefinition, defineOp, registerOp, createOp, isRegistered, registeredOps, importOpModules, registerModule } from './registry.js';
export {
  type Pipeline,
  type PipelineOptions,
  type PipelineSpec,
  type RunKey,
  type ReverseRequest,
  pipeline,
  pipelineSpec,
  pipelineFromSpec,
  runPipeline,
  reversePipeline,
} from './pipeline.js';
export { type OpLike } from './child-ops.js';
export { noteFileRead, withFileReads } from './file-reads.js';

// keys
export { set, type SetOptions } from './keys/set.js';
export { setIfMissing, type SetIfMissingOptions } from './keys/set-if-missing.js';
export { copy, type CopyOptions } from './keys/copy.js';
export { deleteKeys, type DeleteKeysOptions } from './keys/delete-keys.js';
export { keepKeys, type KeepKeysOptions } from './keys/keep-keys.js';
export { lookup, type LookupOptions } from './keys/lookup.js';
export { oneHot, type OneHotOptions } from './keys/one-hot.js';
export { concat, type ConcatOptions } from './keys/concat.js';
export { replace, type ReplaceOptions } from './keys/replace.js';
export { overrideNaN, type OverrideNaNOptions } from './keys/override-nan.js';
export { zScore, type ZScoreOptions } from './keys/z-score.js';

// cast
export { toTensor, asTensor, castTensor, type ToTensorOptions } from './cast/to-tensor.js';
export { toNumber, toInt, toFloat, scalarOf, type ToNumberOptions } from './cast/to-number.js';
export { oneHotToIndex, type OneHotToIndexOptions } from './cast/one-hot-to-index.js';

// meta
export { repeat, type RepeatOptions } from './meta/repeat.js';
export { lambda, type LambdaOptions } from './meta/lambda.js';
export { cond, type CondOptions } from './meta/cond.js';
export { applyByType, detectType, type ApplyByTypeOptions, type TypeRule } from './meta/apply-by-type.js';

// random
export {
  type ParamSampler,
  type UniformSampler,
  type RandIntSampler,
  type RandBoolSampler,
  type ChoiceSampler,
  type GaussianSampler,
  uniform,
  randInt,
  randBool,
  choice,
  gaussian,
  isSampler,
  drawRecursively,
} from './random/samplers.js';
export { sample, type SampleOptions } from './random/sample.js';
export { randApply, type RandApplyOptions } from './random/rand-apply.js';
export { oneOf, type OneOfOptions } from './random/one-of.js';

// tabular
export { parseCsv, type CsvRecord, type ParseCsvOptions } from './tabular/csv.js';
export { loadTable, type IndexedTable, type LoadTableOptions, type Row } from './tabular/table.js';
export { readRows, type ReadRowsOptions } from './tabular/read-rows.js';

// debug
export { printKeys, type PrintKeysOptions } from './debug/print-keys.js';
export { printShapes, type PrintShapesOptions } from './debug/print-shapes.js';
