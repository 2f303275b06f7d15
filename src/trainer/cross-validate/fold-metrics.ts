/**
 * The evaluation stage of a cross-validation: the evaluator's metrics on each fold's predictions
 * and on the pooled out-of-fold predictions (with bootstrap CIs where asked), their mean and
 * spread over folds, and the HTML report of the pooled predictions.
 */
import { mean, standardDeviation } from 'simple-statistics';
import { bootstrapCi } from '../../eval/ci/bootstrap-ci.js';
import { evaluate } from '../../eval/evaluate.js';
import type { Metric, MetricResults } from '../../eval/metric.js';
import type { CliMetricOptions } from '../../eval/metrics/index.js';
import { REPORT_PREFIX, reportInput, reportMetrics } from '../../eval/report/report-from-results.js';
import { writeReport } from '../../eval/report/render-report.js';

/** Bootstrap CIs of the metrics. */
export interface CrossValidateCi {
  /** Replicates. Default 1000. */
  readonly replicates?: number;
  /** Seed. Default 1234 (FuseMedML's). */
  readonly seed?: number;
  /** Confidence level in percent. Default 95. */
  readonly confInterval?: number;
}

/** Mean and spread over folds of a numeric result (`org` of a CI). */
export interface OverFolds {
  readonly mean: number;
  /** Population standard deviation over folds (as FuseMedML's group analysis). */
  readonly std: number;
  readonly values: readonly number[];
}

/** What {@link evaluateFolds} needs. */
export interface EvaluateFoldsOptions {
  /** Each fold's prediction file, in fold order. */
  readonly predictions: readonly string[];
  /** The out-of-fold file. */
  readonly outOfFold: string;
  /** Metrics wrapped in bootstrap CIs (unless `ci` is false). */
  readonly metrics: Readonly<Record<string, Metric>>;
  /** Metrics evaluated as they are. */
  readonly plainMetrics: Readonly<Record<string, Metric>>;
  readonly ci: CrossValidateCi | false;
  /** The report to write (path, plot columns, title), or none. */
  readonly report?: { readonly path: string; readonly keys: CliMetricOptions; readonly title: string; readonly about: readonly string[]; readonly overwrite: boolean };
}

/** What {@link evaluateFolds} computed. */
export interface FoldMetrics {
  readonly perFold: readonly MetricResults[];
  readonly pooled: MetricResults;
  readonly overFolds: Readonly<Record<string, OverFolds>>;
}

const orgOf = (v: unknown): number | undefined => {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  const org = (v as { org?: unknown } | null)?.org;
  return typeof org === 'number' && Number.isFinite(org) ? org : undefined;
};

/** Mean and std over folds of every metric whose per-fold results are numbers (or CIs). */
function overFolds(perFold: readonly MetricResults[], names: readonly string[]): Record<string, OverFolds> {
  const out: Record<string, OverFolds> = {};
  for (const name of names) {
    const values = perFold.map((r) => orgOf(r[name]));
    if (values.length === 0 || values.some((v) => v === undefined)) continue;
    const xs = values as number[];
    out[name] = { mean: mean(xs), std: standardDeviation(xs), values: xs };
  }
  return out;
}

/**
 * Evaluates every fold and the pooled predictions (one pass each, by id: a duplicate id is an error).
 * @example const m = await evaluateFolds({ predictions, outOfFold: 'oof.arrow', metrics: { auc }, plainMetrics: {}, ci: {} }); m.pooled.auc;
 * @throws what `evaluate` and `writeReport` throw.
 */
export async function evaluateFolds(options: EvaluateFoldsOptions): Promise<FoldMetrics> {
  const { ci, report } = options;
  const withCi: Record<string, Metric> = {};
  for (const [name, metric] of Object.entries(options.metrics)) withCi[name] = ci === false ? metric : bootstrapCi<unknown, unknown>({ metric, name, ...ci });
  const metricSet = { ...withCi, ...options.plainMetrics };
  const perFold: MetricResults[] = [];
  for (const file of options.predictions) perFold.push((await evaluate({ data: file, id: 'id', metrics: metricSet, threads: 1 })).metrics);
  const all = (await evaluate({ data: options.outOfFold, id: 'id', metrics: { ...metricSet, ...(report === undefined ? {} : reportMetrics(report.keys)) }, threads: 1 })).metrics;
  const pooled = Object.fromEntries(Object.entries(all).filter(([k]) => !k.startsWith(REPORT_PREFIX)));
  if (report !== undefined) {
    const seed = ci === false ? undefined : ci.seed;
    const input = reportInput(all, pooled, report.keys, { title: report.title, about: [...report.about], ...(seed === undefined ? {} : { seed }) });
    await writeReport(report.path, input, { overwrite: report.overwrite });
  }
  return { perFold, pooled, overFolds: overFolds(perFold, Object.keys(metricSet)) };
}
