/**
 * Confusion statistics at an operation point: sensitivity, specificity, PPV, NPV, F1 and the
 * counts, for the positive class (binary) or each class against the rest with a macro average.
 */
import type { Metric } from '../metric.js';
import type { ClassCountOptions, ClassCountState } from './class-counts.js';
import { countMetric, type CountView } from './count-metric.js';

/** Options of `confusion`. */
export interface ConfusionOptions extends ClassCountOptions {
  /** Value of a ratio whose denominator is 0 (e.g. PPV with no predicted positive). Default 0 (scikit-learn's and FuseMedML's choice). */
  readonly zeroDivision?: number;
}

/** Statistics of one class against the rest. */
export interface ConfusionStats {
  readonly sensitivity: number;
  readonly specificity: number;
  readonly ppv: number;
  readonly npv: number;
  readonly f1: number;
  readonly tp: number;
  readonly fn: number;
  readonly fp: number;
  readonly tn: number;
}

/** Multi-class result: per statistic, per class name plus `macro_avg`. */
export type ConfusionByClass = Readonly<Record<keyof ConfusionStats, Readonly<Record<string, number>>>>;

function stats(v: CountView, c: number, zd: number): ConfusionStats {
  const k = v.m.length;
  let tp = 0;
  let fn = 0;
  let fp = 0;
  let tn = 0;
  for (let t = 0; t < k; t++) {
    const row = v.m[t] as readonly number[];
    for (let p = 0; p < k; p++) {
      const x = row[p] as number;
      if (t === c && p === c) tp += x;
      else if (t === c) fn += x;
      else if (p === c) fp += x;
      else tn += x;
    }
    // A row with no predicted class is a miss for its true class and a negative for the others.
    if (t === c) fn += v.unassigned[t] as number;
    else tn += v.unassigned[t] as number;
  }
  const ratio = (a: number, b: number): number => (b === 0 ? zd : a / b);
  return {
    sensitivity: ratio(tp, tp + fn),
    specificity: ratio(tn, tn + fp),
    ppv: ratio(tp, tp + fp),
    npv: ratio(tn, tn + fn),
    f1: ratio(2 * tp, 2 * tp + fp + fn),
    tp,
    fn,
    fp,
    tn,
  };
}

/**
 * Confusion statistics (FuseMedML's `MetricConfusion`, plus NPV and counts).
 *
 * Reads the class-count keys (see `accuracy`); writes under `name` (default `'confusion'`) a
 * `ConfusionStats` for a binary score (the positive class), or a `ConfusionByClass` for
 * multi-class input. Static; exact counts.
 *
 * @example
 * const m = confusion({ pred: 'p', target: 'y', threshold: 0.5 });
 * m.compute(m.update(m.init(), { p: [0.9, 0.6, 0.2, 0.1], y: [1, 0, 1, 0] }), {}).sensitivity; // 0.5
 * @throws OptionsError on bad options; MetricInputError on bad input or no rows.
 */
export function confusion(options: ConfusionOptions): Metric<ClassCountState, ConfusionStats | ConfusionByClass> {
  const zd = options.zeroDivision ?? 0;
  const multi = options.preds !== undefined || (options.predType === 'class' && (options.classNames?.length ?? 2) > 2);
  return countMetric('confusion', options, (v) => {
    if (!multi) return stats(v, v.m.length - 1, zd);
    const per = v.classNames.map((_, c) => stats(v, c, zd));
    const keys: (keyof ConfusionStats)[] = ['sensitivity', 'specificity', 'ppv', 'npv', 'f1', 'tp', 'fn', 'fp', 'tn'];
    const out: Record<string, Record<string, number>> = {};
    for (const key of keys) {
      const byClass: Record<string, number> = {};
      per.forEach((s, c) => (byClass[v.classNames[c] as string] = s[key]));
      byClass['macro_avg'] = per.reduce((a, s) => a + s[key], 0) / per.length;
      out[key] = byClass;
    }
    return out as ConfusionByClass;
  });
}
