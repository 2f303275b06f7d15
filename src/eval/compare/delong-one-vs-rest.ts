/**
 * DeLong's test one-vs-rest over classes (FuseMedML's `MetricDelongsTest` with `class_names`):
 * each class's probability columns of the two models are compared against "target is that
 * class", and every statistic gets a `macro_avg` over classes.
 */
import { OptionsError } from '../../core/errors.js';
import { isList } from '../../core/is-list.js';
import type { Metric } from '../metric.js';
import { rowAccumulator, allRows, type RowStore } from '../ci/row-store.js';
import { runMetric } from '../metrics/run-metric.js';
import type { Label } from '../metrics/columns.js';
import { delongTest, type DelongResult } from './delong.js';

/** Options of `delongTestOneVsRest`. */
export interface DelongTestOneVsRestOptions {
  /** Result name. Default 'delongs_test'. */
  readonly name?: string;
  /** Model 1: one probability column per class. */
  readonly preds1: readonly string[];
  /** Model 2: one probability column per class (same order). */
  readonly preds2: readonly string[];
  readonly target: string;
  /** Class names in column order. Default '0', '1', …. */
  readonly classNames?: readonly Label[];
  readonly confInterval?: number;
  /** Bound on rows kept in memory. Default 10^7. */
  readonly maxRows?: number;
  readonly idKey?: string;
}

/** Per statistic: one value per class name and `macro_avg`. */
export type DelongOneVsRestResult = Readonly<Record<keyof DelongResult, Readonly<Record<string, number>>>>;

/**
 * One-vs-rest DeLong test.
 *
 * Reads `preds1`, `preds2`, `target`; writes `{ p_value: { <class>, macro_avg }, z: {…}, … }`
 * under `name`. Static.
 *
 * @example
 * delongTestOneVsRest({ preds1: ['a0', 'a1'], preds2: ['b0', 'b1'], target: 'y', classNames: ['neg', 'pos'] });
 * @throws OptionsError on bad options; MetricInputError as `delongTest` for any class.
 */
export function delongTestOneVsRest(options: DelongTestOneVsRestOptions): Metric<RowStore, DelongOneVsRestResult> {
  const name = options.name ?? 'delongs_test';
  if (!isList(options.preds1) || options.preds1.length < 2 || options.preds1.length !== options.preds2.length) {
    throw new OptionsError(`${name}: preds1 and preds2 need the same number (>= 2) of class columns`);
  }
  const classNames = (options.classNames ?? options.preds1.map((_, i) => String(i))).map(String);
  if (classNames.length !== options.preds1.length) throw new OptionsError(`${name}: ${options.preds1.length} class columns but ${classNames.length} classNames`);
  const maxRows = options.maxRows ?? 1e7;
  const perClass = classNames.map((c, k) =>
    delongTest({
      name: `${name}.${c}`,
      pred1: options.preds1[k] as string,
      pred2: options.preds2[k] as string,
      target: options.target,
      classNames,
      positive: c,
      maxRows,
      ...(options.confInterval === undefined ? {} : { confInterval: options.confInterval }),
      ...(options.idKey === undefined ? {} : { idKey: options.idKey }),
    }),
  );
  const keys = [...options.preds1, ...options.preds2, options.target, ...(options.idKey === undefined ? [] : [options.idKey])];
  return {
    name,
    ...rowAccumulator(name, maxRows, keys),
    compute(store) {
      const data = allRows(store);
      const results = perClass.map((m) => runMetric(m, () => [data]).result);
      const out: Record<string, Record<string, number>> = {};
      for (const key of Object.keys(results[0] as DelongResult) as (keyof DelongResult)[]) {
        const byClass: Record<string, number> = {};
        results.forEach((r, k) => (byClass[classNames[k] as string] = r[key]));
        byClass['macro_avg'] = results.reduce((a, r) => a + r[key], 0) / results.length;
        out[key] = byClass;
      }
      return out as DelongOneVsRestResult;
    },
  };
}
