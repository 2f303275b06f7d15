/**
 * Subgroup analysis: a metric per value of a group column (sex, site, fold, …) with the mean,
 * population standard deviation and median over groups (FuseMedML's `GroupAnalysis`).
 */
import { mean, median, standardDeviation } from 'simple-statistics';
import { OptionsError } from '../../core/errors.js';
import type { EvalBatch, Metric, MetricPass, MetricResults, MetricStatus } from '../metric.js';
import { takeRows } from '../ci/batch-rows.js';
import { checkKey, column, labelKey } from '../metrics/columns.js';
import { liftPasses } from '../metrics/compose-passes.js';
import { MetricInputError } from '../metric-input-error.js';

/** Options of `groupBy`. */
export interface GroupByOptions<S, R> {
  /** The metric computed in every group. */
  readonly metric: Metric<S, R>;
  /** Column whose values define the groups. */
  readonly group: string;
  /** Result name. Default `<metric name>_per_<group>`. */
  readonly name?: string;
  /** Add mean / std / median over groups. Default true. */
  readonly computeStats?: boolean;
  /** A group whose metric fails (e.g. one class only): 'error' (default) or 'skip' (listed in `failed_groups`, left out of the stats). */
  readonly onGroupError?: 'error' | 'skip';
}

/** Per-group states, keyed by the group value's label string. */
export interface GroupByState<S> {
  readonly groups: Map<string, S>;
}

function rowsByGroup(batch: EvalBatch, key: string, metric: string): Map<string, number[]> {
  const g = column(batch, key, metric);
  const out = new Map<string, number[]>();
  for (let i = 0; i < g.length; i++) {
    const k = labelKey(g[i]);
    if (k === undefined) throw new MetricInputError(metric, `group value ${String(g[i])} is missing or not a label`, { key, row: i });
    let rows = out.get(k);
    if (rows === undefined) out.set(k, (rows = []));
    rows.push(i);
  }
  return out;
}

const sortKeys = (keys: Iterable<string>): string[] =>
  [...keys].sort((a, b) => {
    const na = Number(a);
    const nb = Number(b);
    return Number.isFinite(na) && Number.isFinite(nb) ? na - nb : a < b ? -1 : a > b ? 1 : 0;
  });

/**
 * Per-group results plus statistics over groups.
 *
 * Reads `group` and what the metric reads; writes `{ <group>: result, mean, std, median }` under
 * `name` (for dict results: `<key>.mean`, `<key>.std`, `<key>.median` per numeric key). Static.
 *
 * @example
 * const m = groupBy({ metric: auc({ pred: 'p', target: 'y' }), group: 'sex' });
 * // → { female: 0.91, male: 0.84, mean: 0.875, std: 0.035, median: 0.875 }
 * @throws OptionsError on bad options; MetricInputError from the metric, naming the group.
 */
export function groupBy<S, R>(options: GroupByOptions<S, R>): Metric<GroupByState<S>, Record<string, unknown>> {
  const inner = options.metric;
  if (inner === undefined || typeof inner.init !== 'function') throw new OptionsError('groupBy: options.metric must be a metric');
  checkKey('groupBy', 'group', options.group);
  const name = options.name ?? `${inner.name}_per_${options.group}`;
  const stats = options.computeStats ?? true;
  const policy = options.onGroupError ?? 'error';
  return {
    name,
    init: () => ({ groups: new Map() }),
    update(state, batch) {
      for (const [g, rows] of rowsByGroup(batch, options.group, name)) {
        const s = state.groups.get(g) ?? inner.init();
        state.groups.set(g, inner.update(s, takeRows(batch, rows)));
      }
      return state;
    },
    merge(a, b) {
      const groups = new Map(a.groups);
      for (const [g, s] of b.groups) {
        const x = groups.get(g);
        groups.set(g, x === undefined ? s : inner.merge(x, s));
      }
      return { groups };
    },
    nextPass(state): MetricPass<GroupByState<S>> | null {
      const keys = [...state.groups.keys()];
      const metrics = keys.map(() => inner);
      const split = new WeakMap<EvalBatch, Map<string, number[]>>();
      const route = (batch: EvalBatch, part: number): EvalBatch | null => {
        let m = split.get(batch);
        if (m === undefined) split.set(batch, (m = rowsByGroup(batch, options.group, name)));
        const rows = m.get(keys[part] as string);
        return rows === undefined ? null : takeRows(batch, rows);
      };
      return liftPasses(
        metrics,
        state,
        (s) => keys.map((k) => s.groups.get(k) as S),
        (_s, done) => ({ groups: new Map(keys.map((k, i) => [k, done[i] as S])) }),
        route,
        name,
      );
    },
    compute(state, results: MetricResults) {
      if (state.groups.size === 0) throw new MetricInputError(name, 'no rows to evaluate (no group seen)');
      const out: Record<string, unknown> = {};
      const failed: string[] = [];
      for (const g of sortKeys(state.groups.keys())) {
        try {
          out[g] = inner.compute(state.groups.get(g) as S, results);
        } catch (e) {
          if (policy === 'skip') failed.push(g);
          else throw new MetricInputError(name, `group '${g}': ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      if (stats) {
        const values = Object.values(out);
        const addStats = (prefix: string, xs: number[]): void => {
          const ok = xs.filter((x) => Number.isFinite(x));
          if (ok.length === 0) return;
          out[`${prefix}mean`] = mean(ok);
          out[`${prefix}std`] = ok.length > 1 ? standardDeviation(ok) : 0;
          out[`${prefix}median`] = median(ok);
        };
        if (values.every((v) => typeof v === 'number')) addStats('', values);
        else {
          const first = values.find((v) => v !== null && typeof v === 'object') as Record<string, unknown> | undefined;
          for (const k of Object.keys(first ?? {})) {
            const xs = values.map((v) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined));
            if (xs.every((x) => typeof x === 'number')) addStats(`${k}.`, xs);
          }
        }
      }
      if (failed.length > 0) out['failed_groups'] = failed;
      return out;
    },
    status(state): MetricStatus {
      const st = [...state.groups.values()].map((s) => inner.status?.(s) ?? { exact: true, bound: 0, skipped: 0, passes: 0 });
      return {
        exact: st.every((s) => s.exact),
        bound: Math.max(0, ...st.map((s) => s.bound)),
        skipped: st.reduce((a, s) => a + s.skipped, 0),
        passes: Math.max(0, ...st.map((s) => s.passes)),
      };
    },
  };
}

/** Options of `perFold`: `groupBy` with the fold column. */
export interface PerFoldOptions<S, R> extends Omit<GroupByOptions<S, R>, 'group'> {
  /** Column of fold indices. */
  readonly fold: string;
}

/**
 * Per-fold analysis: the metric on each fold with mean / std / median over folds (FuseMedML's
 * per-fold `GroupAnalysis` on `evaluator_fold`).
 *
 * @example
 * perFold({ metric: auc({ pred: 'p', target: 'y' }), fold: 'fold' }); // → { 0: …, 1: …, mean, std, median }
 * @throws OptionsError on bad options.
 */
export function perFold<S, R>(options: PerFoldOptions<S, R>): Metric<GroupByState<S>, Record<string, unknown>> {
  const { fold, ...rest } = options;
  return groupBy({ ...rest, group: fold, name: options.name ?? `${options.metric.name}_per_fold` });
}
