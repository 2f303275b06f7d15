/**
 * `evaluate`: streams predictions from any supported input through a set of incremental metrics,
 * giving metrics the extra passes they ask for, and returns FuseMedML's results shape
 * (`result.metrics.<name>`).
 */
import { availableParallelism } from 'node:os';
import type { MetricResults } from './metric.js';
import { finishPasses, pendingNames, planPasses } from './evaluate-passes.js';
import { FuseflowError, InputError, OptionsError } from '../core/errors.js';
import type { JoinCounts } from './sources/join-sources.js';
import type { EvalSource } from './sources/eval-source.js';
import { spillSource } from './sources/spill-source.js';
import { scoreSource, type ScoreSourceOptions } from './sources/score-source.js';
import { isJoinedSource, toEvalSource, type EvalData, type EvalInputOptions } from './evaluate-input.js';
import { orderMetrics, type NamedMetric } from './evaluate-order.js';
import { ProgressMeter } from './evaluate-progress.js';
import { isMetricsRecipe, metricsFromRecipe, type MetricSet, type MetricsRecipe } from './parallel/metrics-recipe.js';
import { metricFolders, passFolders, type Folder } from './parallel/segment-fold.js';
import { localRunner, threadRunner, type PassResult, type PassRun, type SegmentRunner } from './parallel/segment-runner.js';
import { shardRunner } from './parallel/shard-runner.js';

/** Rows per segment of a parallel pass, by default (see {@link EvaluateOptions.segmentRows}). */
export const DEFAULT_SEGMENT_ROWS = 1 << 22;
/** Most worker threads {@link evaluate} starts. */
export const MAX_THREADS = 256;

/** Options of {@link evaluate}. */
export interface EvaluateOptions extends EvalInputOptions {
  /** The predictions; see {@link EvalData}. */
  readonly data: EvalData;
  /**
   * Metrics by result name, or a list (each named by its `name`) — evaluated in this thread; or a
   * {@link MetricsRecipe} (a module, its exported function returning the metrics, plain-data
   * arguments) that worker threads can rebuild — evaluated on `threads` threads.
   */
  readonly metrics: MetricSet | MetricsRecipe;
  /**
   * Worker threads for metrics given as a recipe; default the machine's cores
   * (`os.availableParallelism()`); 1: in this thread. From an Arrow IPC file or a set of them (a path, glob share or
   * `arrowSource`, alone or under `scores`; not joined) this thread and `threads − 1` worker
   * threads each read and fold the next free segment of record batches themselves (no rows are
   * copied between threads). Otherwise each pass reads the input in this thread,
   * folds the first segment of about `segmentRows` rows (whole batches) here (an input of one
   * segment starts no thread) and deals the next segments to the threads, which fold them
   * into fresh states; the segment states are merged in segment order, so the result is the same
   * bits for every thread count. Extra passes (refinement) keep one pass state per thread, merged
   * in thread order: their merge must not depend on how rows were split (true of the built-in
   * histogram refinement, whose kept rows are sorted before use). Memory: per thread at most 2 batches waiting plus one open
   * segment state, plus about `threads` segment states waiting to be merged. Metric objects
   * (not a recipe) cannot move to another thread and are evaluated here whatever `threads` says.
   */
  readonly threads?: number;
  /**
   * Rows per segment when metrics come as a recipe (a segment ends with the batch that reaches
   * it); default 2^22. It fixes how states are grouped before merging (and so the last bits of
   * floating-point sums); it is independent of `threads`.
   */
  readonly segmentRows?: number;
  /** Rows per batch handed to the metrics; default 65,536. The input is never held whole. */
  readonly batchSize?: number;
  /**
   * Independent metric states the batches are dealt to (batch k to state k mod `shards`), merged
   * at the end; default 1. The results do not depend on it (the metric contract's merge law).
   * Applies to metric objects; a recipe's metrics are grouped by `segmentRows` instead.
   */
  readonly shards?: number;
  /** Most passes over the input before giving up on a metric that keeps asking; default 32. */
  readonly maxPasses?: number;
  /**
   * Copy one-shot input (a bare AsyncIterable or Observable) to a temporary file while reading it,
   * so metrics can have extra passes (`true`, or the folder to use); default false. Disk: the
   * whole input once; memory: one batch.
   */
  readonly spill?: boolean | { readonly tmpDir?: string };
  /**
   * What the score columns hold, checked or converted before the metrics see them (see
   * {@link scoreSource}): `{ columns: ['pred'], kind: 'probabilities' }` refuses a score outside
   * [0, 1] naming file, line, column and value; `kind: 'logits'` applies the sigmoid (softmax
   * across several columns); `kind: 'raw'` only checks they are numbers. Default none; the
   * probability metrics (Brier, log loss, ECE, reliability) refuse scores outside [0, 1] in any case.
   */
  readonly scores?: ScoreSourceOptions;
}

/** What {@link evaluate} returns. */
export interface EvaluateResult {
  /** Each metric's result by name, in FuseMedML's shape (`metrics.auc`, `metrics.auc.org`, …). */
  readonly metrics: MetricResults;
  /** Rows each pass read (after joining and the `ids` filter). */
  readonly rows: number;
  /** Passes made over the input (1 unless a metric asked for more). */
  readonly passes: number;
  /** Worker threads the metrics could run on (0: in this thread); a thread starts when the first segment is dealt to it. */
  readonly threads: number;
  /**
   * Per metric that reports it (`status` in the metric contract): whether its result is exact or
   * its bound, rows it skipped by a counted policy, passes it ran.
   */
  readonly status: Readonly<Record<string, unknown>>;
  /** Join counts (missing ids per input, skipped and excluded rows), when inputs were joined or checked by id. */
  readonly join?: JoinCounts;
}

/**
 * Evaluates `metrics` over `data`, batch by batch.
 *
 * Passes: after reading the input once, each metric may ask for another pass (`nextPass`, e.g. to
 * refine AUC bins that hold both classes); the input is read again for those that ask. Files,
 * arrays, joins over them and iterable factories can be re-read; a bare AsyncIterable or
 * Observable cannot, so a metric that asks for a second pass over one fails with an error saying
 * so: with one-shot input the first pass must fit every metric's memory budget, unless `spill`
 * copies the input to a temporary file during the first pass.
 *
 * @example
 * const { metrics } = await evaluate({
 *   data: { pred: 'preds.csv', target: 'targets.csv' }, id: 'id',
 *   metrics: { auc: auc({ pred: 'pred.CanAT-score', target: 'target.Task1-target' }) },
 * });
 * metrics.auc; // 0.845 on FuseMedML's KNIGHT example
 * @throws OptionsError for a bad option or metric set (unknown or cyclic `dependsOn`);
 *   InputError for empty input (no rows after joining and filtering) and, naming file and line,
 *   for bad input rows, including values a metric rejects (a non-finite score, a target outside
 *   the class set); FuseflowError for duplicate or (under `onMissing: 'error'`) missing ids, and
 *   for a second pass over one-shot input.
 */
export async function evaluate(options: EvaluateOptions): Promise<EvaluateResult> {
  const run = await evaluateStates(options);
  return { ...resultsOf(run.metrics, run.states), rows: run.rows, passes: run.passes, threads: run.threads, ...(run.join === undefined ? {} : { join: run.join }) };
}

/** Options of {@link evaluateStates}: those of {@link evaluate}, plus where to start and stop. */
export interface EvaluateStatesOptions extends EvaluateOptions {
  /**
   * Stop after the first pass, before any extra pass a metric asks for, and allow an input with
   * no rows: what one shard of a map/merge evaluation does (the extra passes are planned from the
   * states of all shards merged). Default false.
   */
  readonly firstPassOnly?: boolean;
  /**
   * The first pass's states, already folded elsewhere (shard states merged, in the metrics'
   * order): the input is read only for the extra passes the metrics ask for. Default: none.
   */
  readonly firstPass?: { readonly states: readonly unknown[]; readonly rows: number };
}

/** Metric states after the passes {@link evaluateStates} ran, before `compute`. */
export interface EvaluatedStates {
  /** The metrics in evaluation order (dependencies first). */
  readonly metrics: readonly NamedMetric[];
  /** One state per metric, in `metrics` order. */
  readonly states: readonly unknown[];
  readonly rows: number;
  readonly passes: number;
  readonly threads: number;
  readonly join?: JoinCounts;
}

/**
 * The passes of {@link evaluate} without the final `compute`: the metrics' states (merged in
 * segment order) after the first pass, or after every pass the metrics ask for.
 *
 * @example
 * const shard = await evaluateStates({ data: 'part-3.arrow', metrics, firstPassOnly: true });
 * @throws as {@link evaluate} does (except for empty input under `firstPassOnly`).
 */
export async function evaluateStates(options: EvaluateStatesOptions): Promise<EvaluatedStates> {
  return withEvaluation(options, async ({ metrics, input, source, runner, scan }) => {
    const given = options.firstPass;
    if (given !== undefined && given.states.length !== metrics.length)
      throw new OptionsError(`evaluate: firstPass holds ${given.states.length} states for ${metrics.length} metrics`);
    const first =
      given === undefined ? await scan(1, 'read and update metrics', metricFolders(metrics), { pending: null, merged: null }) : { rows: given.rows, states: [...given.states] };
    const rows = first.rows;
    const join = (): { join?: JoinCounts } => (isJoinedSource(input) ? { join: input.counts() } : {});
    if (options.firstPassOnly === true) return { metrics, states: first.states, rows, passes: 1, threads: runner.threads, ...join() };
    if (rows === 0) {
      const counts = isJoinedSource(input) ? input.counts() : undefined;
      const why = counts === undefined ? '' : ` (join: ${counts.skipped} rows skipped for missing ids, ${counts.excluded} excluded by ids)`;
      throw new InputError(`no rows to evaluate${why}`, { file: source.name });
    }
    const maxPasses = options.maxPasses ?? 32;
    let merged = first.states;
    let passes = 1;
    for (;;) {
      // Worker threads plan the same passes from the states as they were before planning here.
      const { pending, before } = planPasses(metrics, merged, runner.threads > 0);
      if (pending.length === 0) break;
      const names = pendingNames(metrics, pending);
      if (!source.reReadable) {
        throw new FuseflowError(
          `metric ${names} needs another pass over the input (${pending.map((p) => p.pass.description).join('; ')}) but ${source.name} can be read only once; ` +
            "with one-shot input the first pass must fit the metric's memory budget (raise it), or pass a re-readable input (a file, arrays, a function returning a fresh iterable), or set spill: true to copy the input to a temporary file",
        );
      }
      if (passes >= maxPasses) throw new FuseflowError(`metric ${names} still asks for passes after ${passes}; stopping (maxPasses)`);
      passes++;
      const done = await scan(passes, pending.map((p) => p.pass.description).join('; '), passFolders(metrics, pending), {
        pending: pending.map((p) => p.m),
        merged: runner.threads > 0 ? before : null,
      });
      merged = finishPasses(merged, pending, done.states);
    }
    // Join counts exist once the input was read (not when a given first pass needed no other).
    return { metrics, states: merged, rows, passes, threads: runner.threads, ...(given === undefined || passes > 1 ? join() : {}) };
  });
}

/** Options of {@link evaluatePass}: those of {@link evaluate}, plus the states to plan the pass from. */
export interface EvaluatePassOptions extends EvaluateOptions {
  /**
   * The metric states the pass is planned from, in the metrics' order: every shard's states after
   * the previous pass merged, before planning (a refinement plan's states). Planning may mark
   * them (as it marks one run's states): pass a copy to keep them.
   */
  readonly planFrom: readonly unknown[];
  /** The pass's number among all passes over the input, for progress (a refinement round's number); default 2. */
  readonly passNumber?: number;
}

/** What {@link evaluatePass} returns: the pass states of the metrics that asked for a pass. */
export interface EvaluatedPass {
  /** The metrics in evaluation order (dependencies first). */
  readonly metrics: readonly NamedMetric[];
  /** Indices (into `metrics`) of the metrics that asked for the pass, in order. */
  readonly pending: readonly number[];
  /** What each pending pass does. */
  readonly descriptions: readonly string[];
  /** One pass state per pending metric (its `MetricPass` folded over this input), before `finish`. */
  readonly states: readonly unknown[];
  /** Rows read (0 when no metric asked for a pass: the input is then not read). */
  readonly rows: number;
  readonly threads: number;
}

/**
 * One extra pass over `data` (one shard's part of a distributed refinement round): plans each
 * metric's pass from `planFrom` exactly as {@link evaluateStates} plans it from merged states,
 * reads the input once and returns the pass states, which a merge combines over every shard and
 * folds in with `finishPasses` (evaluate-passes.ts). No metric asking for a pass: nothing is read.
 *
 * @example
 * const part = await evaluatePass({ data: 'part-3.arrow', metrics, planFrom: plan.states });
 * @throws as {@link evaluate} does; OptionsError when `planFrom` holds another number of states.
 */
export async function evaluatePass(options: EvaluatePassOptions): Promise<EvaluatedPass> {
  return withEvaluation(options, async ({ metrics, runner, scan }) => {
    if (options.planFrom.length !== metrics.length) throw new OptionsError(`evaluate: planFrom holds ${options.planFrom.length} states for ${metrics.length} metrics`);
    const { pending, before } = planPasses(metrics, options.planFrom, runner.threads > 0);
    const descriptions = pending.map((p) => p.pass.description);
    if (pending.length === 0) return { metrics, pending: [], descriptions, states: [], rows: 0, threads: runner.threads };
    const done = await scan(options.passNumber ?? 2, descriptions.join('; '), passFolders(metrics, pending), {
      pending: pending.map((p) => p.m),
      merged: runner.threads > 0 ? before : null,
    });
    return { metrics, pending: pending.map((p) => p.m), descriptions, states: done.states, rows: done.rows, threads: runner.threads };
  });
}

/** What a pass loop works with while {@link withEvaluation} holds the input and runner open. */
interface Evaluation {
  readonly metrics: readonly NamedMetric[];
  readonly input: EvalSource;
  readonly source: EvalSource;
  readonly runner: SegmentRunner;
  readonly scan: (pass: number, description: string, folders: readonly Folder[], job: PassRun['job']) => Promise<PassResult>;
}

/** Checks the options, opens the input and the runner, runs `body`, then closes them. */
async function withEvaluation<T>(options: EvaluateOptions, body: (e: Evaluation) => Promise<T>): Promise<T> {
  const batchSize = options.batchSize ?? 65_536;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new OptionsError(`evaluate: batchSize must be a positive integer, got ${String(batchSize)}`);
  const shards = options.shards ?? 1;
  if (!Number.isInteger(shards) || shards < 1) throw new OptionsError(`evaluate: shards must be a positive integer, got ${String(shards)}`);
  const maxPasses = options.maxPasses ?? 32;
  if (!Number.isInteger(maxPasses) || maxPasses < 1) throw new OptionsError(`evaluate: maxPasses must be a positive integer, got ${String(maxPasses)}`);
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS)
    throw new OptionsError(`evaluate: threads must be a whole number from 1 to ${MAX_THREADS}, got ${String(threads)}`);
  const segmentRows = options.segmentRows ?? DEFAULT_SEGMENT_ROWS;
  if (!Number.isInteger(segmentRows) || segmentRows < 1) throw new OptionsError(`evaluate: segmentRows must be a positive integer, got ${String(segmentRows)}`);
  const recipe = isMetricsRecipe(options.metrics) ? options.metrics : undefined;
  const metrics = orderMetrics(recipe === undefined ? (options.metrics as MetricSet) : await metricsFromRecipe(recipe));
  const input = toEvalSource(options.data, options);
  const scored = options.scores === undefined ? input : scoreSource(input, options.scores);
  const spill = options.spill ?? false;
  const spilled = spill === false || scored.reReadable ? undefined : spillSource(scored, spill === true || spill.tmpDir === undefined ? {} : { tmpDir: spill.tmpDir });
  const source = spilled ?? scored;
  const meter = new ProgressMeter(options.onProgress, options.progressIntervalMs ?? 1000);
  let runner: SegmentRunner | undefined;
  try {
    runner = recipe === undefined ? shardRunner(shards) : threads > 1 ? threadRunner(recipe, threads) : localRunner();
    const run = runner;
    const scan = (pass: number, description: string, folders: readonly Folder[], job: PassRun['job']): Promise<PassResult> =>
      run.run({ source, batchSize, segmentRows, meter, pass, description, folders, job });
    return await body({ metrics, input, source, runner: run, scan });
  } finally {
    await runner?.close();
    if (isJoinedSource(input)) await input.close();
    await spilled?.close();
  }
}

/**
 * Each metric's result (`compute`, in order, so a metric reads the results it depends on) and
 * status from its final state.
 */
export function resultsOf(metrics: readonly NamedMetric[], states: readonly unknown[]): { metrics: MetricResults; status: Readonly<Record<string, unknown>> } {
  const results: Record<string, unknown> = {};
  const status: Record<string, unknown> = {};
  metrics.forEach(({ name, metric }, m) => {
    results[name] = metric.compute(states[m], results);
    const statusOf = (metric as { status?: (state: unknown) => unknown }).status;
    if (typeof statusOf === 'function') status[name] = statusOf.call(metric, states[m]);
  });
  return { metrics: results, status };
}
