export { FuseflowError, OptionsError, MissingKeyError, TypeMismatchError, InputError, OpError } from './errors.js';
export {
  type Sample,
  SAMPLE_ID_KEY,
  INITIAL_SAMPLE_ID_KEY,
  createSample,
  sampleIdOf,
  initialSampleIdOf,
  getKey,
  getOr,
  hasKey,
  setKey,
  setKeys,
  deleteKey,
  keyPaths,
  allPaths,
  flatten,
  unflatten,
  merge,
  subset,
  closestKeys,
  isBranch,
  splitPath,
} from './sample.js';
export {
  type DType,
  type Tensor,
  type TypedArray,
  type TypedArrayByDType,
  DTYPES,
  tensor,
  isTensor,
  numel,
  allocate,
  viewOf,
  dtypeOf,
  bytesPerElement,
  describeTensor,
} from './tensor.js';
export { type Image, createImage, isImage, imageSize, identityDirection } from './image.js';
export { Rng, type RngKey, hash128 } from './rng.js';
export { canonicalize, fingerprint } from './fingerprint.js';
export { workerEntry, type WorkerEntry } from './workers.js';
export { startWorker, workerInput, type StartWorkerOptions } from './start-worker.js';
export { OutputError, type WriteFileAtomicOptions, outputErrorOf, checkOutputTarget, writeFileAtomic, appendFileNoFollow, fsyncDir } from './safe-fs.js';
export { type LaunchRank, type LaunchRankOptions, launchRank } from './launch-rank.js';
