/**
 * What `fuseflow eval` and `fuseflow eval merge` share: the metric set a run's arguments give
 * (so a merge rebuilds from a shard's recorded arguments exactly the set the shard folded), its
 * input sources, and how its results are printed (table, JSON, report) — one code path, so
 * merged shards print exactly what one run prints.
 */
import { basename } from 'node:path';
import { OptionsError } from '../../core/errors.js';
import type { MetricResults } from '../../eval/metric.js';
import type { EvaluateResult } from '../../eval/evaluate.js';
import { fileSource } from '../../eval/evaluate-input.js';
import type { EvalProgress } from '../../eval/evaluate-progress.js';
import { METRICS_BY_CLI_NAME, type CliMetricOptions } from '../../eval/metrics/cli-metrics.js';
import { joinSources } from '../../eval/sources/join-sources.js';
import { ensembleSource } from '../../eval/ensemble/ensemble-source.js';
import type { Metric } from '../../eval/metric.js';
import type { MetricsRecipe } from '../../eval/parallel/metrics-recipe.js';
import type { ScoreSourceOptions } from '../../eval/sources/score-source.js';
import { expandInput } from '../../eval/sources/path-glob.js';
import { emptySource, fileSetSource, type FilePart } from '../../eval/sources/file-set-source.js';
import { cliMetricRecipe, cliMetricSet, type CliMetricSpec } from './eval-metrics.js';
import type { EvalSource } from '../../eval/sources/eval-source.js';
import { resultRows } from '../../eval/report/results-table.js';
import { omittedPlots, reportInput, REPORT_PREFIX } from '../../eval/report/report-from-results.js';
import { classNamesFromColumns, type EvalArgs } from './eval-args.js';

const DEFAULT_METRICS = ['auc', 'aucpr', 'accuracy', 'balanced-accuracy', 'confusion', 'brier', 'mcc', 'logloss'];
/** Metrics that rank the scores and so accept any numbers (`--scores raw`). */
const RANK_METRICS = new Set(['auc', 'aucpr', 'roc']);
/** Metrics whose `--pred` is a predicted value, not a score: `--scores` does not apply. */
const REGRESSION_METRICS = new Set(['mae', 'mse', 'rmse', 'r2', 'pearson', 'spearman']);

/** What a `fuseflow eval` run evaluates, built from its arguments alone (so `eval merge` rebuilds the same from a shard's recorded arguments). */
export interface EvalPlan {
  readonly keys: CliMetricOptions;
  readonly spec: CliMetricSpec;
  /** The metric set: a recipe (worker threads) or, for row-resampled CIs without --id, metric objects. */
  readonly metrics: MetricsRecipe | Record<string, Metric>;
  readonly scores: ScoreSourceOptions | undefined;
}

/**
 * The metric set, keys and score checks of a run. The report's metrics are in the set when
 * `--report` is given, or when `reportMetrics` says so (the shards of a map/merge run under
 * `--with-report`, and their merge); they are never printed, only drawn.
 * @throws OptionsError for an unknown metric or options that do not go together.
 */
export function evalPlan(args: EvalArgs, options: { readonly reportMetrics?: boolean } = {}): EvalPlan {
  const multiClass = args.preds.length > 1;
  if (multiClass && args.positive !== undefined) throw new OptionsError('--positive applies to a binary --pred; with several --pred columns the target holds class names');
  const classNames = multiClass ? (args.classes ?? classNamesFromColumns(args.preds)) : undefined;
  const keys: CliMetricOptions = {
    target: args.target,
    ...(multiClass ? { preds: args.preds, classNames: classNames as string[] } : { pred: args.preds[0] as string }),
    ...(args.positive === undefined || multiClass ? {} : { positive: args.positive }),
    // A vote ensemble's scores are vote shares: the majority is a share above 0.5; --threshold applies to each model's vote.
    ...(args.ensemble === 'vote' ? {} : args.threshold === undefined ? {} : { threshold: args.threshold }),
    ...(args.id === undefined ? {} : { idKey: args.id }),
    ...(args.nonFinite === undefined ? {} : { nonFinite: args.nonFinite }),
  };
  const requested = args.metrics ?? (args.scores === 'raw' ? [...RANK_METRICS].filter((m) => m !== 'roc') : DEFAULT_METRICS);
  for (const name of requested) if (METRICS_BY_CLI_NAME[name] === undefined) throw new OptionsError(`unknown metric '${name}'; known: ${metricNames().join(', ')}`);
  checkScoreKind(args, requested);
  const spec: CliMetricSpec = {
    requested,
    keys,
    ...(args.ci === undefined
      ? {}
      : {
          ci: {
            replicates: args.ci,
            seed: args.seed,
            ciMethod: args.ciMethod,
            ...(args.ciResample === undefined ? {} : { method: args.ciResample }),
            ...(args.ciResample === 'fusemedml' ? { stratum: args.target } : {}),
            ...(args.id === undefined ? {} : { rowKey: args.id }),
          },
        }),
    ...(args.groupBy === undefined ? {} : { groupBy: args.groupBy }),
    ...(args.fold === undefined ? {} : { fold: args.fold }),
    report: args.report !== undefined || options.reportMetrics === true,
  };
  // Worker threads fold segments of rows into separate states; row-resampled CIs need --id to merge them (rows are keyed by id).
  const threaded = args.ci === undefined || args.id !== undefined || args.ciResample === 'state';
  // Scores are checked (probabilities, raw) or converted (logits) unless every metric is a regression metric.
  const scores =
    requested.every((m) => REGRESSION_METRICS.has(m)) || args.ensemble !== undefined
      ? undefined // an ensemble checks or converts each model's scores itself
      : { columns: args.preds, kind: args.scores, ...(args.id === undefined ? {} : { idColumn: args.id }) };
  return { keys, spec, metrics: threaded ? cliMetricRecipe(spec) : cliMetricSet(spec), scores };
}

/** The results a run shows: what `evaluate` returns, or what `eval merge` rebuilds from shard states. */
export type ShownResult = Pick<EvaluateResult, 'metrics' | 'status' | 'rows' | 'passes' | 'join'>;

/** Prints the results (a table, or JSON with --json) and writes the --report; the same for one run and for merged shards. */
export async function printResults(args: EvalArgs, plan: EvalPlan, result: ShownResult): Promise<void> {
  const shown: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(result.metrics)) if (!name.startsWith(REPORT_PREFIX)) shown[name] = value;
  if (args.report !== undefined) {
    // Loaded only when a report is asked for: the renderer pulls in vega (~30 packages), which
    // every eval process (each shard of a map/merge run) would otherwise pay at start-up.
    const { writeReport } = await import('../../eval/report/render-report.js');
    await writeReport(args.report, reportInput(result.metrics, shown, plan.keys, { about: aboutLines(args, result), seed: args.seed }), { overwrite: args.overwrite });
    for (const why of omittedPlots(result.metrics)) process.stderr.write(`fuseflow eval: report: plot left out — ${why}\n`);
  }
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ metrics: shown }, jsonValue)}\n`);
    for (const w of warnings(result)) process.stderr.write(`fuseflow eval: ${w}\n`);
  } else {
    process.stdout.write(table(shown, args, result));
  }
}

/** `--scores raw` allows only rank metrics (and no report, whose calibration and confusion plots need probabilities). */
function checkScoreKind(args: EvalArgs, requested: readonly string[]): void {
  if (args.scores !== 'raw') return;
  const needProbabilities = requested.filter((m) => !RANK_METRICS.has(m) && !REGRESSION_METRICS.has(m));
  if (needProbabilities.length > 0) {
    throw new OptionsError(
      `--scores raw: ${needProbabilities.join(', ')} need${needProbabilities.length === 1 ? 's' : ''} probabilities; with raw scores only the rank metrics ${[...RANK_METRICS].join(', ')} are computed (give logits as --scores logits, or drop those metrics)`,
    );
  }
  if (args.report !== undefined)
    throw new OptionsError("--scores raw: the report's reliability and confusion plots need probabilities (give logits as --scores logits, or drop --report)");
}

export function metricNames(): string[] {
  return Object.keys(METRICS_BY_CLI_NAME);
}

/**
 * The run's input: each --input (a file, folder or glob: its files as one set of rows) as a
 * source, joined by --id when there are several. `parts` replaces the first --input's files
 * (a shard's share); `tapFirst` wraps the first --input's source (a shard records its ids).
 */
export function openInputs(
  args: EvalArgs,
  progress: ((p: EvalProgress) => void) | undefined,
  parts?: readonly FilePart[],
  tapFirst?: (source: EvalSource) => EvalSource,
): EvalSource {
  const idColumn = args.id === undefined ? {} : { idColumn: args.id };
  const sources = args.inputs.map((pattern, k) => {
    const set: readonly FilePart[] = k === 0 && parts !== undefined ? parts : expandInput(pattern).map((path) => ({ path }));
    const only = set.length === 1 ? set[0] : undefined;
    if (set.length === 0) return emptySource(pattern);
    const source = only !== undefined && only.recordBatches === undefined ? fileSource(only.path, idColumn) : fileSetSource(set, { ...idColumn, name: pattern });
    return k === 0 && tapFirst !== undefined ? tapFirst(source) : source;
  });
  if (args.id === undefined) return sources[0] as EvalSource;
  const names = args.inputs.map((p) => basename(p));
  const unique = new Set(names).size === names.length ? names : args.inputs;
  if (args.ensemble !== undefined) {
    return ensembleSource(Object.fromEntries(unique.map((n, i) => [n, sources[i] as EvalSource])), {
      id: args.id,
      preds: args.preds,
      method: args.ensemble,
      kind: args.scores,
      onMissing: args.onMissing,
      ...(args.ensembleWeights === undefined ? {} : { weights: args.ensembleWeights }),
      ...(args.ensemble === 'vote' && args.threshold !== undefined ? { threshold: args.threshold } : {}),
      ...(progress === undefined ? {} : { onProgress: progress }),
    });
  }
  return joinSources(Object.fromEntries(unique.map((n, i) => [n, sources[i] as EvalSource])), {
    id: args.id,
    idColumn: args.id,
    prefix: false,
    onMissing: args.onMissing,
    ...(progress === undefined ? {} : { onProgress: progress }),
  });
}

function aboutLines(args: EvalArgs, result: ShownResult): string[] {
  const lines = [
    `inputs: ${args.inputs.join(', ')}${args.ensemble === undefined ? '' : ` (ensemble: ${args.ensemble}${args.ensembleWeights === undefined ? '' : `, weights ${args.ensembleWeights.join(', ')}`})`}`,
    `${result.rows.toLocaleString('en-US')} rows, ${result.passes} pass${result.passes === 1 ? '' : 'es'} over the input`,
    `pred: ${args.preds.join(', ')}; target: ${args.target}${args.positive === undefined ? '' : ` (positive: ${args.positive})`}${args.threshold === undefined ? '' : `; threshold ${args.threshold}`}`,
  ];
  if (result.join !== undefined) lines.push(joinLine(result));
  return lines;
}

function joinLine(result: ShownResult): string {
  const j = result.join;
  if (j === undefined) return '';
  const missing = Object.entries(j.missing)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} missing from ${s}`);
  return `join by id: ${j.rows} rows${missing.length > 0 ? `, ${missing.join(', ')}` : ''}${j.skipped > 0 ? `, ${j.skipped} rows skipped` : ''}`;
}

/** Warnings a reader must see: rows skipped by a counted policy, results that are bounds. */
function warnings(result: ShownResult): string[] {
  const out: string[] = [];
  const j = result.join;
  if (j !== undefined && (j.skipped > 0 || Object.values(j.missing).some((n) => n > 0))) out.push(joinLine(result));
  for (const [name, s] of Object.entries(result.status)) {
    if (name.startsWith(REPORT_PREFIX)) continue;
    const st = s as { exact?: boolean; bound?: number; skipped?: number };
    if (st.exact === false) out.push(`${name}: not exact, within ±${st.bound ?? '?'}`);
    if ((st.skipped ?? 0) > 0) out.push(`${name}: ${st.skipped} rows skipped (non-finite scores)`);
  }
  return out;
}

function table(metrics: MetricResults, args: EvalArgs, result: ShownResult): string {
  const rows = resultRows(metrics);
  const width = Math.max(6, ...rows.map((r) => r.name.length));
  const lines = [`${'metric'.padEnd(width)}  value`, `${'-'.repeat(width)}  ${'-'.repeat(5)}`, ...rows.map((r) => `${r.name.padEnd(width)}  ${r.value}`)];
  const notes = [`${result.rows} rows from ${args.inputs.join(', ')}; ${result.passes} pass${result.passes === 1 ? '' : 'es'}`];
  const warned = warnings(result);
  if (result.join !== undefined && !warned.some((w) => w.startsWith('join'))) notes.push(joinLine(result));
  return `${lines.join('\n')}\n\n${[...notes, ...warned].join('\n')}\n`;
}

/** JSON replacer: typed arrays as arrays. */
function jsonValue(_key: string, value: unknown): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  return value;
}
