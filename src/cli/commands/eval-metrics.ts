/**
 * The metric set of `fuseflow eval`, built from plain data so that evaluation worker threads can
 * build the same set (it is the function a metrics recipe names; see
 * src/eval/parallel/metrics-recipe.ts): each requested metric, wrapped in a bootstrap CI when
 * `--ci` asks, per group / per fold when `--group-by` / `--fold` ask, plus the report's metrics.
 */
import { OptionsError } from '../../core/errors.js';
import type { Metric } from '../../eval/metric.js';
import { METRICS_BY_CLI_NAME, type CliMetricOptions } from '../../eval/metrics/cli-metrics.js';
import { bootstrapCi, type BootstrapMethod } from '../../eval/ci/bootstrap-ci.js';
import type { CiMethod } from '../../eval/ci/ci-summary.js';
import { groupBy } from '../../eval/analysis/group-by.js';
import { reportMetrics } from '../../eval/report/report-from-results.js';
import type { MetricsRecipe } from '../../eval/parallel/metrics-recipe.js';

/** Metrics whose results are curves or tables, not numbers: no CI. */
const NO_CI = new Set(['roc', 'confusion-matrix', 'reliability']);

/** Plain-data description of the CLI's metric set. */
export interface CliMetricSpec {
  /** CLI metric names, in order. */
  readonly requested: readonly string[];
  readonly keys: CliMetricOptions;
  /** Bootstrap CIs (`--ci` and friends); absent: none. */
  readonly ci?: {
    readonly replicates: number;
    readonly seed: number;
    readonly ciMethod: CiMethod;
    readonly method?: BootstrapMethod;
    readonly stratum?: string;
    readonly rowKey?: string;
  };
  /** `--group-by` column. */
  readonly groupBy?: string;
  /** `--fold` column. */
  readonly fold?: string;
  /** Add the HTML report's metrics. */
  readonly report: boolean;
}

/**
 * Builds the CLI's metrics: `<name>` for each requested metric, `<name>_per_<column>` /
 * `<name>_per_fold` per group, and the report's metrics when asked.
 * @throws OptionsError for an unknown metric name.
 */
export function cliMetricSet(spec: CliMetricSpec): Record<string, Metric> {
  const metrics: Record<string, Metric> = {};
  const one = (name: string): Metric => {
    const make = METRICS_BY_CLI_NAME[name];
    if (make === undefined) throw new OptionsError(`unknown metric '${name}'; known: ${Object.keys(METRICS_BY_CLI_NAME).join(', ')}`);
    const metric = make({ ...spec.keys, name });
    const ci = spec.ci;
    if (ci === undefined || NO_CI.has(name)) return metric;
    return bootstrapCi({
      metric,
      replicates: ci.replicates,
      seed: ci.seed,
      ciMethod: ci.ciMethod,
      ...(ci.method === undefined ? {} : { method: ci.method }),
      ...(ci.stratum === undefined ? {} : { stratum: ci.stratum }),
      ...(ci.rowKey === undefined ? {} : { rowKey: ci.rowKey }),
    });
  };
  for (const name of spec.requested) {
    metrics[name] = one(name);
    // Per group / per fold: the same metric (with its CI) in every group, plus mean, std and median over groups.
    for (const [column, suffix] of [
      [spec.groupBy, spec.groupBy],
      [spec.fold, 'fold'],
    ] as const) {
      if (column === undefined) continue;
      const perGroup = `${name}_per_${suffix}`;
      metrics[perGroup] = groupBy({ metric: one(name), group: column, name: perGroup, onGroupError: 'skip' });
    }
  }
  return spec.report ? { ...metrics, ...reportMetrics(spec.keys) } : metrics;
}

/** A recipe of {@link cliMetricSet} for evaluation worker threads. */
export function cliMetricRecipe(spec: CliMetricSpec): MetricsRecipe {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return { module: new URL(`./eval-metrics${ext}`, import.meta.url).href, exportName: 'cliMetricSet', args: [spec] };
}
