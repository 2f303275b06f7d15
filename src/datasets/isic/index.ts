// ISIC 2019: dermoscopy JPEGs + ground-truth and metadata CSVs → 9 diagnostic classes.
export { isic, ISIC_FILES, type IsicOptions, type IsicBuild, type IsicBalanceKey } from './isic.js';
export { isicMetadata, type IsicMetadataOptions } from './isic-metadata.js';
export {
  readIsicGroundTruth,
  readIsicMetadata,
  encodeIsicMetadata,
  ISIC_CLASSES,
  ISIC_SEX,
  ISIC_SITES,
  ISIC_AGE_BINS,
  ISIC_METADATA_FEATURES,
  type IsicTruth,
  type IsicMetadata,
} from './isic-tables.js';
