// KNIGHT (ISBI 2022): kidney CT + clinical JSON → AUA risk group (task 1: NoAT/CanAT, task 2: B/LR/IR/HR/VHR).
export { knight, type KnightOptions, type KnightBuild, type KnightBalanceKey, type KnightSex, type HuNormalization } from './knight.js';
export { knightClinical, type KnightClinicalOptions } from './knight-clinical.js';
export {
  readKnightJson,
  encodeKnightClinical,
  knightLabels,
  KNIGHT_FEATURES,
  KNIGHT_MEDIANS,
  KNIGHT_RISK_GROUPS,
  KNIGHT_SMOKING,
  KNIGHT_TASK1_CLASSES,
  KNIGHT_TASK2_CLASSES,
  type KnightRecord,
  type KnightTable,
} from './knight-clinical-data.js';
