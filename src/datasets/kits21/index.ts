// KiTS21 (kidney CT segmentation): the builder, its clinical fields and the case check.
export { kits21, KITS21_LABELS, KITS21_SEG_FILES, type Kits21Options, type Kits21Build, type Kits21BalanceKey, type Kits21Segmentation, type Kits21Intensity } from './kits21.js';
export {
  kits21ClinicalOp,
  kits21Clinical,
  readKits21Json,
  KITS21_NUMBERS,
  KITS21_TEXTS,
  KITS21_MALIGNANCY_CLASSES,
  type Kits21Record,
  type Kits21Clinical,
  type Kits21ClinicalOptions,
} from './kits21-clinical.js';
export { kits21CheckCase, type Kits21CheckCaseOptions } from './check-case.js';
