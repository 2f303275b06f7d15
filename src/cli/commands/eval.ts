/**
 * `fuseflow eval`: evaluates predictions streamed from CSV or Arrow IPC files and prints the
 * results (a table, or one JSON object with --json), optionally writing an HTML report.
 * Progress (rows/s) and warnings (skipped rows, missing ids, bounded results) go to stderr.
 * Scores are probabilities unless `--scores logits|raw` says otherwise (see EVAL_USAGE). The
 * `--report` path is checked before anything is computed and written atomically.
 * Exit codes: 0 done, 1 bad input, a refused output or a failed run (the message names file,
 * line, id or metric), 2 bad usage.
 *
 * @example
 * fuseflow eval --input preds.csv --input targets.csv --id id --pred score --target label --ci 1000 --json
 * fuseflow eval seg --pred-dir out/ --truth-dir labels/ --ci 1000   # label files on disk (eval-seg.ts)
 */
import { OptionsError } from '../../core/errors.js';
import { evaluate } from '../../eval/evaluate.js';
import { progressPrinter } from '../../eval/evaluate-progress.js';
import { expandInput } from '../../eval/sources/path-glob.js';
import { checkEvalOutput } from './eval-output.js';
import { runShard } from './eval-shard.js';
import { evalPlan, metricNames, openInputs, printResults } from './eval-run.js';
import { EVAL_USAGE, parseEvalArgs, type EvalArgs } from './eval-args.js';

/** Runs `fuseflow eval`; returns the exit code. */
export async function run(argv: readonly string[]): Promise<number> {
  // eval seg (and its report renderer, vega) loads only when asked for: every eval process pays its imports.
  if (argv[0] === 'seg') return (await import('./eval-seg.js')).runEvalSeg(argv.slice(1));
  if (argv[0] === 'merge') return (await import('./eval-merge.js')).runEvalMerge(argv.slice(1));
  let args: EvalArgs;
  try {
    args = parseEvalArgs(argv);
  } catch (err) {
    if (!(err instanceof OptionsError)) throw err;
    console.error(`fuseflow eval: ${err.message}`);
    return 2;
  }
  if (args.help) {
    console.log(`${EVAL_USAGE}\n\nmetric names: ${metricNames().join(', ')}`);
    return 0;
  }
  const plan = evalPlan(args, { reportMetrics: args.stateOut !== undefined && args.withReport });
  // Outputs are checked before any work: a refused report path must not cost the run.
  if (args.report !== undefined) checkEvalOutput(args.report, { inputs: args.inputs.flatMap(expandInput), overwrite: args.overwrite });
  const progress = args.progress ? progressPrinter((line) => process.stderr.write(`fuseflow eval: ${line}\n`)) : undefined;
  if (args.stateOut !== undefined) return runShard(args, args.stateOut, plan, (parts, tap) => openInputs(args, progress, parts, tap), progress);
  const source = openInputs(args, progress);
  const result = await evaluate({
    data: source,
    metrics: plan.metrics,
    batchSize: args.batchSize,
    ...(args.threads === undefined ? {} : { threads: args.threads }),
    ...(plan.scores === undefined ? {} : { scores: plan.scores }),
    ...(progress === undefined ? {} : { onProgress: progress, progressIntervalMs: 1000 }),
  });
  await printResults(args, plan, result);
  return 0;
}
