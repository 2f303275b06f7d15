/**
 * The 2×2 contingency table of two paired binary variables (FuseMedML's `MetricContingencyTable`
 * / `ModelComparison.contingency_table`), or — with a `target` — of two models' correctness on
 * the same rows (the table McNemar's test reads). Four counts: bounded and mergeable.
 */
import type { Metric } from '../metric.js';
import { MetricInputError } from '../metric-input-error.js';
import { checkKey, column, labelKey, rowCount, rowWhere } from '../metrics/columns.js';

/** Options of {@link contingencyTable}. */
export interface ContingencyTableOptions {
  /** Result name; default `'contingency_table'`. */
  readonly name?: string;
  /** First variable: booleans or 0/1 (FuseMedML's `var1`); with `target`, model 1's predicted classes. */
  readonly var1: string;
  /** Second variable (`var2`); with `target`, model 2's predicted classes. */
  readonly var2: string;
  /** Targets: the variables become "prediction equals target" (labels compared as text). Default none. */
  readonly target?: string;
  /** Column of sample ids for error messages. */
  readonly idKey?: string;
}

/** `[[var1 ∧ var2, var1 ∧ ¬var2], [¬var1 ∧ var2, ¬var1 ∧ ¬var2]]`, as FuseMedML's `con_tab`. */
export type ContingencyTable = readonly [readonly [number, number], readonly [number, number]];

/**
 * Counts the 2×2 table.
 *
 * Reads `var1`, `var2` (and `target`); writes a {@link ContingencyTable} under `name`. Static.
 *
 * @example
 * contingencyTable({ var1: 'a_correct', var2: 'b_correct' }); // [[both, only a], [only b, neither]]
 * @throws MetricInputError for a value that is not a boolean / 0 / 1 (without `target`), a missing value, or no rows.
 */
export function contingencyTable(options: ContingencyTableOptions): Metric<Float64Array, ContingencyTable> {
  const name = options.name ?? 'contingency_table';
  checkKey(name, 'var1', options.var1);
  checkKey(name, 'var2', options.var2);
  if (options.target !== undefined) checkKey(name, 'target', options.target);
  const keys = [options.var1, options.var2, ...(options.target === undefined ? [] : [options.target])];
  const truth = (v: unknown, key: string, batch: Parameters<Metric['update']>[1], i: number, y: string | undefined): boolean => {
    const k = labelKey(v);
    if (k === undefined) throw new MetricInputError(name, 'missing or non-label value', rowWhere(batch, i, key, options.idKey));
    if (y !== undefined) return k === y;
    if (k === '1' || k === 'true') return true;
    if (k === '0' || k === 'false') return false;
    throw new MetricInputError(name, `'${k}' is not a boolean (0/1, true/false); give target to count correct predictions`, rowWhere(batch, i, key, options.idKey));
  };
  return {
    name,
    init: () => new Float64Array(4),
    update(t, batch) {
      const n = rowCount(batch, keys, name);
      const a = column(batch, options.var1, name);
      const b = column(batch, options.var2, name);
      const ys = options.target === undefined ? undefined : column(batch, options.target, name);
      for (let i = 0; i < n; i++) {
        const y = ys === undefined ? undefined : labelKey(ys[i]);
        if (ys !== undefined && y === undefined) throw new MetricInputError(name, 'missing or non-label target', rowWhere(batch, i, options.target as string, options.idKey));
        const cell = (truth(a[i], options.var1, batch, i, y) ? 0 : 2) + (truth(b[i], options.var2, batch, i, y) ? 0 : 1);
        t[cell] = (t[cell] as number) + 1;
      }
      return t;
    },
    merge: (p, q) => p.map((v, i) => v + (q[i] as number)),
    compute(t) {
      const [tt, tf, ft, ff] = t as unknown as [number, number, number, number];
      if (tt + tf + ft + ff === 0) throw new MetricInputError(name, 'no rows to evaluate');
      return [
        [tt, tf],
        [ft, ff],
      ];
    },
  };
}
