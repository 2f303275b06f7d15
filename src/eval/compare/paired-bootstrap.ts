/**
 * Paired bootstrap comparison of two models (FuseMedML's `PairedBootstrap`): both metrics are
 * evaluated on the same resamples; the share of replicates where the test model beats the
 * reference by the margin gives the p-value of superiority, non-inferiority or equality.
 */
import { OptionsError } from '../../core/errors.js';
import type { Metric, MetricPass } from '../metric.js';
import { resampled, type BootstrapMethod } from '../ci/bootstrap-ci.js';
import { composePasses, everyPart } from '../metrics/compose-passes.js';

/** What is tested. */
export type ComparisonMethod = 'superiority' | 'non-inferiority' | 'equality';

/** Options of `pairedBootstrap`. */
export interface PairedBootstrapOptions<S1, R1, S2, R2> {
  /** Result name. Default 'paired_bootstrap'. */
  readonly name?: string;
  readonly test: Metric<S1, R1>;
  readonly reference: Metric<S2, R2>;
  /** Default 'superiority'. */
  readonly compare?: ComparisonMethod;
  /** Margin (default 0). */
  readonly margin?: number;
  /** 'abs' (default): test − ref; 'rel': (test − ref) / ref. */
  readonly marginType?: 'abs' | 'rel';
  /** For dict results: the keys to compare. Default every numeric top-level key. */
  readonly keys?: readonly string[];
  /** Default 1000. */
  readonly replicates?: number;
  /** Default `DEFAULT_SEED` (1234). */
  readonly seed?: number;
  /** 'rows' (default, Poisson row weights keyed by `rowKey`) or 'fusemedml' (exact FuseMedML resampling). */
  readonly method?: Exclude<BootstrapMethod, 'state'>;
  readonly rowKey?: string;
  readonly stratum?: string;
  readonly maxRows?: number;
}

/** One comparison. `count_superior` / `count_non_inferior` / `count_equal` depending on the method. */
export type ComparisonResult = Readonly<Record<string, number>>;

function pairMetric<S1, R1, S2, R2>(a: Metric<S1, R1>, b: Metric<S2, R2>): Metric<[S1, S2], { test: R1; ref: R2 }> {
  const parts = [a, b] as unknown as Metric<unknown, unknown>[];
  return {
    name: `${a.name}-vs-${b.name}`,
    init: () => [a.init(), b.init()],
    update: (s, batch) => [a.update(s[0], batch), b.update(s[1], batch)],
    merge: (x, y) => [a.merge(x[0], y[0]), b.merge(x[1], y[1])],
    nextPass(s): MetricPass<[S1, S2]> | null {
      const p = composePasses(parts, s as unknown as unknown[], everyPart, 'paired');
      return p as unknown as MetricPass<[S1, S2]> | null;
    },
    compute: (s, results) => ({ test: a.compute(s[0], results), ref: b.compute(s[1], results) }),
  };
}

function numericLeaves(v: unknown, keys: readonly string[] | undefined): Record<string, number> {
  if (typeof v === 'number') return { '': v };
  const out: Record<string, number> = {};
  if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (typeof x === 'number' && (keys === undefined || keys.includes(k))) out[k] = x;
  }
  return out;
}

/**
 * Paired bootstrap comparison.
 *
 * Reads what both metrics read; writes under `name` `{ count, count_<method>, diff, p_value }`
 * (number results) or one such dict per compared key. `diff` is the mean difference over
 * replicates; p_value = 1 − count_<method> / count. Random, seeded (see `bootstrapCi`).
 *
 * @example
 * const m = pairedBootstrap({ test: auc({ pred: 'a', target: 'y' }), reference: auc({ pred: 'b', target: 'y' }), rowKey: 'id' });
 * @throws OptionsError on bad options.
 */
export function pairedBootstrap<S1, R1, S2, R2>(options: PairedBootstrapOptions<S1, R1, S2, R2>): Metric<unknown, unknown> {
  const compare = options.compare ?? 'superiority';
  if (!['superiority', 'non-inferiority', 'equality'].includes(compare)) throw new OptionsError(`pairedBootstrap: unknown compare '${compare}'`);
  const margin = options.margin ?? 0;
  if (!Number.isFinite(margin)) throw new OptionsError('pairedBootstrap: margin must be finite');
  const marginType = options.marginType ?? 'abs';
  const countKey = compare === 'superiority' ? 'count_superior' : compare === 'non-inferiority' ? 'count_non_inferior' : 'count_equal';
  const pair = pairMetric(options.test, options.reference);
  const metric = resampled(
    {
      metric: pair,
      name: options.name ?? 'paired_bootstrap',
      method: options.method ?? 'rows',
      ...(options.replicates === undefined ? {} : { replicates: options.replicates }),
      ...(options.seed === undefined ? {} : { seed: options.seed }),
      ...(options.rowKey === undefined ? {} : { rowKey: options.rowKey }),
      ...(options.stratum === undefined ? {} : { stratum: options.stratum }),
      ...(options.maxRows === undefined ? {} : { maxRows: options.maxRows }),
    },
    (org, reps) => {
      const orgTest = numericLeaves(org.test, options.keys);
      const out: Record<string, ComparisonResult> = {};
      for (const key of Object.keys(orgTest)) {
        let count = 0;
        let hits = 0;
        let sumDiff = 0;
        for (const r of reps) {
          if (r === null || typeof r !== 'object') continue;
          const rr = r as { test: unknown; ref: unknown };
          const t = numericLeaves(rr.test, options.keys)[key];
          const f = numericLeaves(rr.ref, options.keys)[key];
          if (t === undefined || f === undefined || !Number.isFinite(t) || !Number.isFinite(f)) continue;
          const d = marginType === 'rel' ? (t - f) / f : t - f;
          count++;
          sumDiff += d;
          if (compare === 'superiority' ? d > margin : compare === 'non-inferiority' ? d > -margin : Math.abs(d) < margin) hits++;
        }
        out[key] = { count, [countKey]: hits, diff: sumDiff / count, p_value: 1 - hits / count, ...(count < reps.length ? { failed_replicates: reps.length - count } : {}) };
      }
      return '' in out ? out[''] : out;
    },
  );
  return metric;
}
