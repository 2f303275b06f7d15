/**
 * Turns an original result and its bootstrap replicates into FuseMedML's CI shape
 * `{ org, mean, std, conf_interval, conf_lower, conf_upper }`, leaf by leaf for dict results.
 * Percentile bounds are FuseMedML's: the sorted replicates at floor(r·n) and floor((1 − r)·n),
 * r = (1 − conf/100)/2; mean and (population) std come from simple-statistics.
 */
import { mean, standardDeviation } from 'simple-statistics';

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

/** A CI for a number, or a dict of CIs mirroring a dict result. */
export type CiTree = CiResult | { readonly [key: string]: CiTree | unknown };

/** CI of one number from its replicates. */
export function ciOf(org: number, values: readonly number[], confInterval: number): CiResult {
  const ok = values.filter((v) => Number.isFinite(v));
  const failed = values.length - ok.length;
  if (ok.length === 0) return { org, mean: Number.NaN, std: Number.NaN, conf_interval: confInterval, conf_lower: Number.NaN, conf_upper: Number.NaN, ...(failed > 0 ? { failed_replicates: failed } : {}) };
  const sorted = Float64Array.from(ok).sort();
  const r = (1 - confInterval / 100) / 2;
  const n = sorted.length;
  const lo = sorted[Math.min(n - 1, Math.floor(r * n))] as number;
  const hi = sorted[Math.min(n - 1, Math.floor((1 - r) * n))] as number;
  return {
    org,
    mean: mean(ok),
    std: ok.length > 1 ? standardDeviation(ok) : 0,
    conf_interval: confInterval,
    conf_lower: lo,
    conf_upper: hi,
    ...(failed > 0 ? { failed_replicates: failed } : {}),
  };
}

function isDict(v: unknown): v is Readonly<Record<string, unknown>> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

/**
 * CI tree of a result: numbers get a `CiResult`, dicts recurse, other leaves (arrays, strings)
 * keep the original value.
 */
export function ciTree(org: unknown, replicates: readonly unknown[], confInterval: number): unknown {
  if (typeof org === 'number') return ciOf(org, replicates.map((r) => (typeof r === 'number' ? r : Number.NaN)), confInterval);
  if (isDict(org)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(org)) out[k] = ciTree(v, replicates.map((r) => (isDict(r) ? r[k] : undefined)), confInterval);
    return out;
  }
  return org;
}
