/** Loads the committed scikit-learn reference fixture and the KNIGHT table. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../../fixtures/eval/', import.meta.url));

export interface BinaryCase {
  target: number[];
  pred: number[];
  weight?: number[];
  auc: number;
  'auc_maxfpr_0.1': number;
  'auc_maxfpr_0.37': number;
  ap: number;
  accuracy: number;
  balanced_accuracy: number;
  mcc: number;
  log_loss: number;
  brier: number;
  roc_fpr: number[];
  roc_tpr: number[];
  roc_thresholds: number[];
  confusion: number[][];
  accuracy_weighted?: number;
  brier_weighted?: number;
}

export interface Refs {
  cases: {
    ties_grid: BinaryCase;
    ties_float32: BinaryCase;
    continuous: BinaryCase;
    multiclass: {
      classNames: string[];
      target: string[];
      probs: number[][];
      accuracy: number;
      balanced_accuracy: number;
      mcc: number;
      log_loss: number;
      auc_ovr: number[];
      ap_ovr: number[];
      auc_ovr_macro: number;
      confusion: number[][];
      brier_multi: number;
    };
    knight: { task1_auc: number; task1_ap: number; task2_auc_ovr: number[]; task2_accuracy: number; task2_log_loss: number };
    regression: { pred: number[]; target: number[]; mae: number; mse: number; rmse: number; r2: number; pearson: [number, number]; spearman: [number, number] };
  };
  numpy_legacy: { seed: number; randint_40: number[]; randint_20: number[]; rand_5: number[]; randint_big: number[] };
}

export const refs = JSON.parse(readFileSync(`${dir}sklearn-refs.json`, 'utf8')) as Refs;

export interface KnightRow {
  id: string;
  task1: number;
  task2: number;
  task2_class: string;
  NoAT: number;
  CanAT: number;
  fold: number;
  B: number;
  LR: number;
  IR: number;
  HR: number;
  VHR: number;
}

export const knight: KnightRow[] = readFileSync(`${dir}knight.csv`, 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => {
    const c = line.split(',');
    const num = (i: number): number => Number(c[i]);
    // Columns: id, task1_target, task2_target, task2_class, NoAT-score, CanAT-score, fold, B..VHR-score.
    return {
      id: c[0] as string,
      task1: num(1),
      task2: num(2),
      task2_class: c[3] as string,
      NoAT: num(4),
      CanAT: num(5),
      fold: num(6),
      B: num(7),
      LR: num(8),
      IR: num(9),
      HR: num(10),
      VHR: num(11),
    };
  });

/** Column view of the KNIGHT rows. */
export function knightColumns(): Record<string, unknown[]> {
  const cols: Record<string, unknown[]> = {};
  for (const r of knight) for (const [k, v] of Object.entries(r)) (cols[k] ??= []).push(v);
  return cols;
}
