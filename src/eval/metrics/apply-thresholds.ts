/**
 * Thresholding as a batch transform (FuseMedML's `MetricApplyThresholds`): class probabilities
 * or a binary score become a predicted-class column, for metrics that read classes
 * (`predType: 'class'`) or for export.
 */
import { OptionsError } from '../../core/errors.js';
import type { EvalBatch } from '../metric.js';
import { MetricInputError } from '../metric-input-error.js';
import type { OperationPoint } from './class-counts.js';
import { checkKey, column, toScore } from './columns.js';

/** Options of `applyThresholds`. */
export interface ApplyThresholdsOptions {
  /** Binary: column of the positive-class score (then `operationPoint` is a number, default 0.5). */
  readonly pred?: string;
  /** Multi-class: one probability column per class. */
  readonly preds?: readonly string[];
  /** Decision rule (see `OperationPoint`). Default 'argmax' (multi-class) or 0.5 (binary). */
  readonly operationPoint?: OperationPoint;
  /** Output column of class indices (-1: no class passed its threshold). */
  readonly outKey: string;
}

/**
 * Returns a function adding the predicted class index under `outKey` (the input batch is not
 * modified). Binary: 1 when the score is strictly above the threshold. Argmax: ties go to the
 * lower class index. Per-class list: the first `[class, threshold]` whose probability is
 * strictly above its threshold, `'argmax'` as a fallback entry, else -1.
 *
 * @example
 * const t = applyThresholds({ preds: ['a', 'b', 'c'], outKey: 'cls' });
 * t({ a: [0.2, 0.5], b: [0.5, 0.5], c: [0.3, 0] }).cls; // Int32Array [1, 0]
 * @throws OptionsError on bad options; MetricInputError on a non-finite score.
 */
export function applyThresholds(options: ApplyThresholdsOptions): (batch: EvalBatch) => EvalBatch {
  checkKey('applyThresholds', 'outKey', options.outKey);
  if ((options.pred === undefined) === (options.preds === undefined)) throw new OptionsError("applyThresholds: give exactly one of 'pred' and 'preds'");
  const keys = options.preds ?? [options.pred as string];
  keys.forEach((k, i) => checkKey('applyThresholds', `preds[${i}]`, k));
  const op = options.operationPoint ?? (options.pred !== undefined ? 0.5 : 'argmax');
  if (options.pred !== undefined && typeof op !== 'number') throw new OptionsError('applyThresholds: a binary score needs a numeric operationPoint');
  if (typeof op === 'number' && options.preds !== undefined && options.preds.length !== 2) throw new OptionsError('applyThresholds: a numeric operationPoint needs 2 classes');
  return (batch) => {
    const cols = keys.map((k) => column(batch, k, 'applyThresholds'));
    const n = (cols[0] as ArrayLike<unknown>).length;
    const out = new Int32Array(n);
    const value = (c: number, i: number): number => {
      const v = toScore((cols[c] as ArrayLike<unknown>)[i]);
      if (!Number.isFinite(v))
        throw new MetricInputError('applyThresholds', `score ${String((cols[c] as ArrayLike<unknown>)[i])} is not a finite number`, { key: keys[c] as string, row: i });
      return v;
    };
    for (let i = 0; i < n; i++) {
      if (options.pred !== undefined) {
        out[i] = value(0, i) > (op as number) ? 1 : 0;
        continue;
      }
      let best = 0;
      for (let c = 1; c < keys.length; c++) if (value(c, i) > value(best, i)) best = c;
      if (op === 'argmax') out[i] = best;
      else if (typeof op === 'number') out[i] = value(1, i) > op ? 1 : 0;
      else {
        out[i] = -1;
        for (const e of op) {
          if (e === 'argmax') {
            out[i] = best;
            break;
          }
          if (value(e[0], i) > e[1]) {
            out[i] = e[0];
            break;
          }
        }
      }
    }
    return { ...batch, [options.outKey]: out };
  };
}
