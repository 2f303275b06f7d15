/**
 * McNemar's test of two classifiers on the same rows, from the 2×2 table of "model correct"
 * (or of raw binary predictions without a target). Exact binomial test by default (statsmodels'
 * `mcnemar(exact=True)`), or the chi-square test with continuity correction. The table is four
 * counts: bounded and mergeable.
 */
import { OptionsError } from '../../core/errors.js';
import type { Metric } from '../metric.js';
import { MetricInputError } from '../metric-input-error.js';
import { checkKey, column, labelKey, rowCount, rowWhere } from '../metrics/columns.js';
import { binomialCdf } from '../stats/beta.js';
import { twoSidedP } from '../stats/normal.js';

/** Options of `mcnemarTest`. */
export interface McnemarTestOptions {
  /** Result name. Default 'mcnemars_test'. */
  readonly name?: string;
  /** Predicted classes of model 1 and model 2 (labels compared with the target as strings; 0/1/true/false alike). */
  readonly pred1: string;
  readonly pred2: string;
  /** Targets; without it the table counts the raw binary predictions (1 = "yes"). */
  readonly target?: string;
  /** Exact binomial test (default true) or chi-square with continuity correction. */
  readonly exact?: boolean;
  readonly idKey?: string;
}

/** Result (FuseMedML's keys): `n1` = rows only model 1 got right, `n2` = only model 2. */
export interface McnemarResult {
  readonly p_value: number;
  readonly statistic: number;
  readonly n1: number;
  readonly n2: number;
  /** [[both, only 1], [only 2, neither]]. */
  readonly table: readonly (readonly number[])[];
}

/** The 2×2 table. */
export interface McnemarState {
  readonly t: Float64Array;
}

/**
 * McNemar's test.
 *
 * Reads `pred1`, `pred2` and optionally `target`; writes a `McnemarResult` under `name`. Static.
 *
 * @example
 * const m = mcnemarTest({ pred1: 'a', pred2: 'b', target: 'y' });
 * @throws OptionsError on bad options; MetricInputError on a missing value or no rows.
 */
export function mcnemarTest(options: McnemarTestOptions): Metric<McnemarState, McnemarResult> {
  const name = options.name ?? 'mcnemars_test';
  checkKey(name, 'pred1', options.pred1);
  checkKey(name, 'pred2', options.pred2);
  if (options.target !== undefined) checkKey(name, 'target', options.target);
  if (options.exact !== undefined && typeof options.exact !== 'boolean') throw new OptionsError(`${name}: exact must be a boolean`);
  const exact = options.exact ?? true;
  const keys = [options.pred1, options.pred2, ...(options.target === undefined ? [] : [options.target])];
  return {
    name,
    init: () => ({ t: new Float64Array(4) }),
    update(state, batch) {
      const n = rowCount(batch, keys, name);
      const a = column(batch, options.pred1, name);
      const b = column(batch, options.pred2, name);
      const y = options.target === undefined ? undefined : column(batch, options.target, name);
      for (let i = 0; i < n; i++) {
        const ka = labelKey(a[i]);
        const kb = labelKey(b[i]);
        const ky = y === undefined ? '1' : labelKey(y[i]);
        if (ka === undefined || kb === undefined || ky === undefined) {
          const key = ka === undefined ? options.pred1 : kb === undefined ? options.pred2 : (options.target as string);
          throw new MetricInputError(name, 'missing or non-label value', rowWhere(batch, i, key, options.idKey));
        }
        const c1 = ka === ky ? 0 : 1;
        const c2 = kb === ky ? 0 : 1;
        const cell = c1 * 2 + c2;
        // cell: 0 both right, 1 only model 1 right, 2 only model 2 right, 3 neither.
        const idx = cell === 0 ? 0 : cell === 1 ? 1 : cell === 2 ? 2 : 3;
        state.t[idx] = (state.t[idx] as number) + 1;
      }
      return state;
    },
    merge: (p, q) => ({ t: p.t.map((v, i) => v + (q.t[i] as number)) }),
    compute(state) {
      const [both, only1, only2, neither] = state.t as unknown as [number, number, number, number];
      if (both + only1 + only2 + neither === 0) throw new MetricInputError(name, 'no rows to evaluate');
      const n1 = only1;
      const n2 = only2;
      let statistic: number;
      let p: number;
      if (exact) {
        statistic = Math.min(n1, n2);
        p = Math.min(1, 2 * binomialCdf(statistic, n1 + n2, 0.5));
      } else {
        statistic = n1 + n2 === 0 ? 0 : (Math.abs(n1 - n2) - 1) ** 2 / (n1 + n2);
        p = twoSidedP(Math.sqrt(statistic));
      }
      return {
        p_value: p,
        statistic,
        n1,
        n2,
        table: [
          [both, only1],
          [only2, neither],
        ],
      };
    },
  };
}
