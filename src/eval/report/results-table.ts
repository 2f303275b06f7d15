/**
 * Flattens a results dict into readable rows for tables (the CLI's text table and the HTML
 * report): numbers as they are, CI results as `org [lower, upper]`, nested results under dotted
 * names, long arrays (curves) summarised.
 */
import type { MetricResults } from '../metric.js';
import type { CiResult } from '../ci/ci-summary.js';

/** One table row: a dotted result name and its value in words. */
export interface ResultRow {
  readonly name: string;
  readonly value: string;
}

/** Whether `v` is a CI result `{org, mean, std, conf_interval, conf_lower, conf_upper}`. */
export function isCiResult(v: unknown): v is CiResult {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return ['org', 'conf_lower', 'conf_upper'].every((k) => typeof o[k] === 'number');
}

/** Formats a number with `digits` significant decimals, integers as integers. */
export function formatNumber(x: number, digits = 4): string {
  if (Number.isInteger(x)) return String(x);
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return x.toExponential(digits - 1);
  return x.toFixed(digits);
}

function cell(v: unknown): string | undefined {
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v === null) return 'null';
  if (isCiResult(v)) {
    const failed = v.failed_replicates === undefined || v.failed_replicates === 0 ? '' : `, ${v.failed_replicates} replicates undefined`;
    return `${formatNumber(v.org)} [${formatNumber(v.conf_lower)}, ${formatNumber(v.conf_upper)}] (${v.conf_interval ?? 95}% CI, mean ${formatNumber(v.mean)}, std ${formatNumber(v.std)}${failed})`;
  }
  return undefined;
}

/**
 * Rows for every scalar inside `metrics`, depth first; arrays of up to `maxArray` scalars inline,
 * longer ones summarised by length.
 *
 * @example
 * resultRows({ auc: 0.845, conf: { sensitivity: 0.75 } }); // [{name:'auc',value:'0.8450'}, {name:'conf.sensitivity',value:'0.7500'}]
 */
export function resultRows(metrics: MetricResults, maxArray = 8): ResultRow[] {
  const rows: ResultRow[] = [];
  const walk = (name: string, v: unknown): void => {
    const c = cell(v);
    if (c !== undefined) {
      rows.push({ name, value: c });
      return;
    }
    if (Array.isArray(v) || ArrayBuffer.isView(v)) {
      const a = v as ArrayLike<unknown>;
      const inline = (x: unknown): string | undefined => {
        if (!Array.isArray(x) && !ArrayBuffer.isView(x)) return isCiResult(x) ? undefined : cell(x);
        const items = Array.from(x as ArrayLike<unknown>);
        if (items.length > maxArray) return undefined;
        const parts = items.map(inline);
        return parts.every((p) => p !== undefined) ? `[${parts.join(', ')}]` : undefined;
      };
      rows.push({ name, value: inline(a) ?? `(${a.length} values)` });
      return;
    }
    if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) walk(`${name}.${k}`, x);
      return;
    }
    rows.push({ name, value: String(v) });
  };
  for (const [name, v] of Object.entries(metrics)) walk(name, v);
  return rows;
}
