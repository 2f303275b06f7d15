/**
 * Turns an original result and its bootstrap replicates into FuseMedML's CI shape
 * `{ org, mean, std, conf_interval, conf_lower, conf_upper }`, leaf by leaf for dict results.
 * The interval is computed from the replicates as FuseMedML's `CI(ci_method=…)` computes it, with
 * r = (1 − conf/100)/2 and lo, hi = the sorted replicates at floor(r·n) and floor((1 − r)·n):
 *
 * - `'percentile'` (FuseMedML's `PERCENTILE`, the default): [lo, hi];
 * - `'normal'` (`NORMAL`): org ∓ z·std, z = Φ⁻¹(1 − r) (1.959964 for 95 %), std the population
 *   standard deviation of the replicates;
 * - `'pivotal'` (`PIVOTAL`, the basic bootstrap): [2·org − hi, 2·org − lo].
 *
 * Mean and (population) std come from simple-statistics. Replicates whose value is undefined
 * (NaN) are left out and counted; FuseMedML keeps them (and then returns NaN).
 */
import { mean, standardDeviation } from 'simple-statistics';
import { normalQuantile } from '../stats/normal.js';

/** How the interval is read off the replicates (FuseMedML's `ci_method`, lower case). */
export type CiMethod = 'percentile' | 'normal' | 'pivotal';

/** The interval methods, in the order FuseMedML documents them. */
export const CI_METHODS: readonly CiMethod[] = ['percentile', 'normal', 'pivotal'];

/** A confidence interval in FuseMedML's shape. */
export interface CiResult {
  readonly org: number;
  readonly mean: number;
  readonly std: number;
  readonly conf_interval: number;
  readonly conf_lower: number;
  readonly conf_upper: number;
  /** Replicates whose value was undefined (e.g. a resample with one class), left out; present only when > 0. */
  readonly failed_replicates?: number;
}

/**
 * A CI for a number, or a dict of CIs mirroring a dict result (its values are CiTrees where the
 * result held numbers or dicts, and whatever the result held otherwise, hence `unknown`).
 */
export type CiTree = CiResult | { readonly [key: string]: unknown };

/**
 * CI of one number from its replicates.
 *
 * @example
 * ciOf(0.8, [0.7, 0.75, 0.8, 0.85, 0.9], 95, 'pivotal'); // conf_lower 0.7, conf_upper 0.9
 */
export function ciOf(org: number, values: readonly number[], confInterval: number, method: CiMethod = 'percentile'): CiResult {
  const ok = values.filter((v) => Number.isFinite(v));
  const failed = values.length - ok.length;
  if (ok.length === 0)
    return {
      org,
      mean: Number.NaN,
      std: Number.NaN,
      conf_interval: confInterval,
      conf_lower: Number.NaN,
      conf_upper: Number.NaN,
      ...(failed > 0 ? { failed_replicates: failed } : {}),
    };
  const sorted = Float64Array.from(ok).sort();
  const r = (1 - confInterval / 100) / 2;
  const n = sorted.length;
  const lo = sorted[Math.min(n - 1, Math.floor(r * n))] as number;
  const hi = sorted[Math.min(n - 1, Math.floor((1 - r) * n))] as number;
  const std = ok.length > 1 ? standardDeviation(ok) : 0;
  const [lower, upper] = bounds(method, org, lo, hi, std, r);
  return {
    org,
    mean: mean(ok),
    std,
    conf_interval: confInterval,
    conf_lower: lower,
    conf_upper: upper,
    ...(failed > 0 ? { failed_replicates: failed } : {}),
  };
}

/** The interval of `method` from the percentile bounds, the std and the lower tail `r`. */
function bounds(method: CiMethod, org: number, lo: number, hi: number, std: number, r: number): [number, number] {
  switch (method) {
    case 'percentile':
      return [lo, hi];
    case 'normal': {
      const z = normalQuantile(1 - r);
      return [org - z * std, org + z * std];
    }
    case 'pivotal':
      return [2 * org - hi, 2 * org - lo];
  }
}

function isDict(v: unknown): v is Readonly<Record<string, unknown>> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

/**
 * CI tree of a result: numbers get a `CiResult`, dicts recurse, other leaves (arrays, strings)
 * keep the original value.
 */
export function ciTree(org: unknown, replicates: readonly unknown[], confInterval: number, method: CiMethod = 'percentile'): unknown {
  if (typeof org === 'number')
    return ciOf(
      org,
      replicates.map((r) => (typeof r === 'number' ? r : Number.NaN)),
      confInterval,
      method,
    );
  if (isDict(org)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(org))
      out[k] = ciTree(
        v,
        replicates.map((r) => (isDict(r) ? r[k] : undefined)),
        confInterval,
        method,
      );
    return out;
  }
  return org;
}
