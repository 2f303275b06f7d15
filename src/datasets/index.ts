// Builders for public data sets in their published layouts (fuseflow never downloads: point a
// builder at the folder you obtained under the data set's licence). Importing this module
// registers the data sets' ops, so workers can rebuild their pipelines from specs.
export { type DatasetBuild } from './common/dataset-build.js';
export { idPath, type IdPathOptions } from './common/id-path.js';
export { openBuildCache, readBuildSamples, type BuildCache, type BuildCacheOptions } from './common/build-cache.js';
export { datasetFolds, type BuilderFoldOptions, type DatasetFolds, type FoldColumns, type FoldSource } from './common/dataset-folds.js';
export { randOneHot, type RandOneHotOptions } from './common/rand-one-hot.js';
export { antialias, type AntialiasOptions } from './common/antialias.js';
export {
  knight,
  knightClinical,
  readKnightJson,
  encodeKnightClinical,
  knightLabels,
  KNIGHT_FEATURES,
  KNIGHT_MEDIANS,
  KNIGHT_RISK_GROUPS,
  KNIGHT_SMOKING,
  KNIGHT_TASK1_CLASSES,
  KNIGHT_TASK2_CLASSES,
  type KnightOptions,
  type KnightBuild,
  type KnightBalanceKey,
  type KnightSex,
  type HuNormalization,
  type KnightClinicalOptions,
  type KnightRecord,
  type KnightTable,
} from './knight/index.js';
export {
  isic,
  isicMetadata,
  readIsicGroundTruth,
  readIsicMetadata,
  encodeIsicMetadata,
  ISIC_FILES,
  ISIC_CLASSES,
  ISIC_SEX,
  ISIC_SITES,
  ISIC_AGE_BINS,
  ISIC_METADATA_FEATURES,
  type IsicOptions,
  type IsicBuild,
  type IsicBalanceKey,
  type IsicMetadataOptions,
  type IsicTruth,
  type IsicMetadata,
} from './isic/index.js';
export {
  kits21,
  kits21ClinicalOp,
  kits21Clinical,
  readKits21Json,
  kits21CheckCase,
  KITS21_LABELS,
  KITS21_SEG_FILES,
  KITS21_NUMBERS,
  KITS21_TEXTS,
  KITS21_MALIGNANCY_CLASSES,
  type Kits21Options,
  type Kits21Build,
  type Kits21BalanceKey,
  type Kits21Segmentation,
  type Kits21Intensity,
  type Kits21Record,
  type Kits21Clinical,
  type Kits21ClinicalOptions,
  type Kits21CheckCaseOptions,
} from './kits21/index.js';
