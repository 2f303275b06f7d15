/**
 * `fuseflow eval merge FILE... [--json] [--report FILE]`: the reduce step of a map/merge
 * evaluation. Reads the state files the shards wrote (`fuseflow eval … --state-out FILE`), checks
 * they are all the shards of one run, merges their metric states and prints exactly what one
 * `fuseflow eval` over all the inputs prints — every metric, CI bounds included — whatever the
 * order of the files. A metric that asks for another pass over the input after the merge (exact
 * AUC refinement of score-histogram bins holding both classes) gets it here, from the input files
 * the shards recorded (refused if one changed since).
 * Exit codes: 0 done, 1 bad input (a damaged, foreign, duplicate or missing shard; changed
 * inputs) or a refused output, 2 bad usage.
 *
 * @example
 * fuseflow eval merge states/shard-*.state --json
 */
import { statSync } from 'node:fs';
import { InputError, OptionsError } from '../../core/errors.js';
import { evaluateStates, resultsOf } from '../../eval/evaluate.js';
import { orderMetrics } from '../../eval/evaluate-order.js';
import { progressPrinter } from '../../eval/evaluate-progress.js';
import { isMetricsRecipe, metricsFromRecipe } from '../../eval/parallel/metrics-recipe.js';
import type { JoinCounts } from '../../eval/sources/join-sources.js';
import { checkShardSet, mergeShardStates } from '../../eval/shard/shard-set.js';
import { readStateFile } from '../../eval/shard/state-file.js';
import { MAX_THREADS } from '../../eval/evaluate.js';
import type { EvalArgs } from './eval-args.js';
import { checkEvalOutput } from './eval-output.js';
import { evalPlan, openInputs, printResults } from './eval-run.js';
import type { RunRecord } from './eval-shard.js';

export const EVAL_MERGE_USAGE = `usage: fuseflow eval merge FILE... [--json] [--report FILE.html [--overwrite]] [--threads N] [--no-progress]

Merges the state files of every shard of one run (fuseflow eval ... --state-out FILE) and prints
what one fuseflow eval over all the inputs prints (a table, or --json), every metric and CI bound
included, whatever the order of the files. A shard given twice, a missing shard, a shard of
another run (arguments, metrics, input files) or a damaged file is an error naming the file.
Metrics that need another pass over the inputs after merging (exact AUC/AP refinement) read the
input files the shards recorded; a file changed since is an error.

  --json                print exactly one JSON object {"metrics": {...}} on stdout
  --report FILE.html    write the HTML report (as fuseflow eval --report)
  --overwrite           let --report replace an existing file
  --threads N           worker threads for an extra pass over the inputs (default: the cores)
  --no-progress         no progress lines on stderr`;

/** Runs `fuseflow eval merge`; returns the exit code. */
export async function runEvalMerge(argv: readonly string[]): Promise<number> {
  let flags: MergeFlags;
  try {
    flags = parseMergeArgs(argv);
  } catch (err) {
    if (!(err instanceof OptionsError)) throw err;
    console.error(`fuseflow eval merge: ${err.message}`);
    return 2;
  }
  if (flags.help) {
    console.log(EVAL_MERGE_USAGE);
    return 0;
  }
  const set = checkShardSet(flags.files.map(readStateFile));
  const run = set.run as RunRecord;
  const args: EvalArgs = {
    ...run.args,
    inputs: run.args.inputs,
    shard: undefined,
    stateOut: undefined,
    threads: flags.threads,
    batchSize: 65_536,
    progress: flags.progress,
    json: flags.json,
    report: flags.report,
    overwrite: flags.overwrite,
    help: false,
  };
  if (args.report !== undefined) checkEvalOutput(args.report, { inputs: [...run.files.map((f) => f.path), ...flags.files], overwrite: args.overwrite });
  if (args.report !== undefined && !run.args.withReport)
    throw new InputError(`--report: the shards did not fold the report's metrics; rerun them with --with-report (e.g. ${flags.files[0] ?? ''})`);
  const plan = evalPlan(args, { reportMetrics: run.args.withReport });
  const metrics = orderMetrics(isMetricsRecipe(plan.metrics) ? await metricsFromRecipe(plan.metrics) : plan.metrics);
  const merged = mergeShardStates(set, metrics);
  if (set.rows === 0) throw new InputError(`no rows to evaluate in any of the ${set.shards.length} shards`);
  // Metrics that ask for another pass after the merge (exact AUC/AP refinement) read the recorded input files here.
  const progress = args.progress ? progressPrinter((line) => process.stderr.write(`fuseflow eval merge: ${line}\n`)) : undefined;
  const evaluated = await evaluateStates({
    data: openInputs(
      args,
      progress,
      run.files.map((f) => ({ path: f.path })),
    ),
    metrics: plan.metrics,
    batchSize: args.batchSize,
    firstPass: { states: merged, rows: set.rows },
    ...(args.threads === undefined ? {} : { threads: args.threads }),
    ...(plan.scores === undefined ? {} : { scores: plan.scores }),
    ...(progress === undefined ? {} : { onProgress: progress, progressIntervalMs: 1000 }),
  });
  // Checked after the pass, so a file rewritten before or while it was read is caught before anything is printed.
  if (evaluated.passes > 1) checkInputsUnchanged(run);
  const join = sumJoins(set.shards.map((s) => s.header.join as JoinCounts | undefined));
  await printResults(args, plan, { ...resultsOf(evaluated.metrics, evaluated.states), rows: set.rows, passes: evaluated.passes, ...(join === undefined ? {} : { join }) });
  return 0;
}

interface MergeFlags {
  readonly files: readonly string[];
  readonly json: boolean;
  readonly report: string | undefined;
  readonly overwrite: boolean;
  readonly threads: number | undefined;
  readonly progress: boolean;
  readonly help: boolean;
}

/** Reads the flags of `eval merge`; every other argument is a state file. */
export function parseMergeArgs(argv: readonly string[]): MergeFlags {
  const files: string[] = [];
  let json = false;
  let overwrite = false;
  let progress = true;
  let help = false;
  let report: string | undefined;
  let threads: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      const v = flag !== arg ? arg.slice(eq + 1) : argv[++i];
      if (v === undefined || (flag === arg && v.startsWith('--'))) throw new OptionsError(`${flag} needs a value`);
      return v;
    };
    if (flag === '--report') {
      if (report !== undefined) throw new OptionsError('--report given twice');
      report = value();
    } else if (flag === '--threads') {
      const text = value();
      const n = Number(text);
      if (!/^\d+$/.test(text) || n < 1 || n > MAX_THREADS) throw new OptionsError(`--threads must be a whole number from 1 to ${MAX_THREADS}, got '${text}'`);
      threads = n;
    } else if (arg === '--json') json = true;
    else if (arg === '--overwrite') overwrite = true;
    else if (arg === '--no-progress') progress = false;
    else if (arg === '--help' || arg === '-h') help = true;
    else if (arg.startsWith('-')) throw new OptionsError(`unknown argument '${arg}'\n\n${EVAL_MERGE_USAGE}`);
    else files.push(arg);
  }
  if (!help && files.length === 0) throw new OptionsError(`give the state files to merge\n\n${EVAL_MERGE_USAGE}`);
  if (overwrite && report === undefined) throw new OptionsError('--overwrite applies to --report FILE; give the report file');
  return { files, json, report, overwrite, threads, progress, help };
}

/** Refuses input files that changed (size or time) since the shards read them. */
function checkInputsUnchanged(run: RunRecord): void {
  for (const f of run.files) {
    let st;
    try {
      st = statSync(f.path);
    } catch (err) {
      throw new InputError(
        `the merge needs another pass over the inputs (exact AUC/AP refinement) but this input cannot be read: ${err instanceof Error ? err.message : String(err)}`,
        {
          file: f.path,
        },
      );
    }
    if (st.size !== f.bytes || Math.trunc(st.mtimeMs) !== f.mtimeMs)
      throw new InputError(`changed since the shards read it (${f.bytes} bytes then, ${st.size} now; modified ${new Date(st.mtimeMs).toISOString()}); rerun the shards`, {
        file: f.path,
      });
  }
}

/** Join counts summed over shards (undefined when no shard joined). */
function sumJoins(joins: readonly (JoinCounts | undefined)[]): JoinCounts | undefined {
  const given = joins.filter((j): j is JoinCounts => j !== undefined);
  if (given.length === 0) return undefined;
  const missing: Record<string, number> = {};
  for (const j of given) for (const [k, n] of Object.entries(j.missing)) missing[k] = (missing[k] ?? 0) + n;
  return {
    rows: given.reduce((a, j) => a + j.rows, 0),
    missing,
    skipped: given.reduce((a, j) => a + j.skipped, 0),
    excluded: given.reduce((a, j) => a + j.excluded, 0),
  };
}
