/**
 * `evaluate`: streams predictions from any supported input through a set of incremental metrics,
 * giving metrics the extra passes they ask for, and returns FuseMedML's results shape
 * (`result.metrics.<name>`).
 */
import type { Metric, MetricPass, MetricResults } from './metric.js';
import { FuseflowError, InputError, OptionsError } from '../core/errors.js';
import { describeOrigin, type EvalSource, type SourceBatch } from './sources/eval-source.js';
import type { JoinCounts } from './sources/join-sources.js';
import { spillSource } from './sources/spill-source.js';
import { scoreSource, type ScoreSourceOptions } from './sources/score-source.js';
import { isJoinedSource, toEvalSource, type EvalData, type EvalInputOptions } from './evaluate-input.js';
import { orderMetrics, type NamedMetric } from './evaluate-order.js';
import { ProgressMeter } from './evaluate-progress.js';

/** Options of {@link evaluate}. */
export interface EvaluateOptions extends EvalInputOptions {
  /** The predictions; see {@link EvalData}. */
  readonly data: EvalData;
  /** Metrics by result name, or a list (each named by its `name`). */
  readonly metrics: Readonly<Record<string, Metric>> | readonly Metric[];
  /** Rows per batch handed to the metrics; default 65,536. The input is never held whole. */
  readonly batchSize?: number;
  /**
   * Independent metric states the batches are dealt to (batch k to state k mod `shards`), merged
   * at the end; default 1. The results do not depend on it (the metric contract's merge law).
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
  const batchSize = options.batchSize ?? 65_536;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new OptionsError(`evaluate: batchSize must be a positive integer, got ${String(batchSize)}`);
  const shards = options.shards ?? 1;
  if (!Number.isInteger(shards) || shards < 1) throw new OptionsError(`evaluate: shards must be a positive integer, got ${String(shards)}`);
  const maxPasses = options.maxPasses ?? 32;
  if (!Number.isInteger(maxPasses) || maxPasses < 1) throw new OptionsError(`evaluate: maxPasses must be a positive integer, got ${String(maxPasses)}`);
  const metrics = orderMetrics(options.metrics);
  const input = toEvalSource(options.data, options);
  const scored = options.scores === undefined ? input : scoreSource(input, options.scores);
  const spill = options.spill ?? false;
  const spilled = spill === false || scored.reReadable ? undefined : spillSource(scored, spill === true || spill.tmpDir === undefined ? {} : { tmpDir: spill.tmpDir });
  const source = spilled ?? scored;
  const meter = new ProgressMeter(options.onProgress, options.progressIntervalMs ?? 1000);
  try {
    let states: unknown[][] = metrics.map(({ metric }) => Array.from({ length: shards }, () => metric.init()));
    const rows = await scanInto(source, batchSize, shards, meter, 1, 'read and update metrics', (batch, shard) => {
      metrics.forEach(({ name, metric }, m) => {
        const row = states[m] as unknown[];
        row[shard] = withOrigin(name, batch, () => metric.update(row[shard], batch.columns));
      });
    });
    if (rows === 0) {
      const counts = isJoinedSource(input) ? input.counts() : undefined;
      const why = counts === undefined ? '' : ` (join: ${counts.skipped} rows skipped for missing ids, ${counts.excluded} excluded by ids)`;
      throw new InputError(`no rows to evaluate${why}`, { file: source.name });
    }
    let merged = states.map((row, m) => mergeAll((metrics[m] as NamedMetric).metric, row));
    states = [];
    let passes = 1;
    for (;;) {
      const pending: { m: number; pass: MetricPass<unknown> }[] = [];
      metrics.forEach(({ metric }, m) => {
        const pass = metric.nextPass?.(merged[m]) ?? null;
        if (pass !== null) pending.push({ m, pass });
      });
      if (pending.length === 0) break;
      const names = pending.map(({ m }) => `'${(metrics[m] as NamedMetric).name}'`).join(', ');
      if (!source.reReadable) {
        throw new FuseflowError(
          `metric ${names} needs another pass over the input (${pending.map((p) => p.pass.description).join('; ')}) but ${source.name} can be read only once; ` +
            "with one-shot input the first pass must fit the metric's memory budget (raise it), or pass a re-readable input (a file, arrays, a function returning a fresh iterable), or set spill: true to copy the input to a temporary file",
        );
      }
      if (passes >= maxPasses) throw new FuseflowError(`metric ${names} still asks for passes after ${passes}; stopping (maxPasses)`);
      passes++;
      const passStates = pending.map(({ pass }) => Array.from({ length: shards }, () => pass.init()));
      await scanInto(source, batchSize, shards, meter, passes, pending.map((p) => p.pass.description).join('; '), (batch, shard) => {
        pending.forEach(({ m, pass }, k) => {
          const row = passStates[k] as unknown[];
          row[shard] = withOrigin((metrics[m] as NamedMetric).name, batch, () => pass.update(row[shard], batch.columns));
        });
      });
      merged = merged.slice();
      pending.forEach(({ m, pass }, k) => {
        const row = passStates[k] as unknown[];
        let acc = row[0];
        for (let s = 1; s < row.length; s++) acc = pass.merge(acc, row[s]);
        merged[m] = pass.finish(merged[m], acc);
      });
    }
    const results: Record<string, unknown> = {};
    const status: Record<string, unknown> = {};
    metrics.forEach(({ name, metric }, m) => {
      results[name] = metric.compute(merged[m], results);
      const statusOf = (metric as { status?: (state: unknown) => unknown }).status;
      if (typeof statusOf === 'function') status[name] = statusOf.call(metric, merged[m]);
    });
    return {
      metrics: results,
      status,
      rows,
      passes,
      ...(isJoinedSource(input) ? { join: input.counts() } : {}),
    };
  } finally {
    if (isJoinedSource(input)) await input.close();
    await spilled?.close();
  }
}

async function scanInto(
  source: EvalSource,
  batchSize: number,
  shards: number,
  meter: ProgressMeter,
  pass: number,
  description: string,
  fold: (batch: SourceBatch, shard: number) => void,
): Promise<number> {
  let k = 0;
  let rows = 0;
  meter.start(pass, description);
  await source.scan(batchSize, (batch) => {
    fold(batch, k % shards);
    k++;
    rows += batch.length;
    meter.tick(batch.length);
  });
  meter.finish();
  return rows;
}

function mergeAll(metric: Metric, states: readonly unknown[]): unknown {
  let acc = states[0];
  for (let s = 1; s < states.length; s++) acc = metric.merge(acc, states[s]);
  return acc;
}

/** Runs a metric step; an error naming a batch row gets the input position of that row added. */
function withOrigin<T>(name: string, batch: SourceBatch, step: () => T): T {
  try {
    return step();
  } catch (err) {
    if (!(err instanceof Error)) throw err;
    const row = (err as { row?: unknown }).row;
    if (typeof row === 'number' && batch.where !== undefined) {
      const origin = batch.where(row);
      const at = origin.line === undefined ? ` (input: ${describeOrigin(origin)})` : '';
      throw new InputError(`${err.message}${at}`, {
        ...(origin.line === undefined || origin.file === undefined ? {} : { file: origin.file, line: origin.line }),
      });
    }
    if (err instanceof FuseflowError) throw err;
    throw new FuseflowError(`metric '${name}' failed: ${err.message}`, { cause: err });
  }
}
