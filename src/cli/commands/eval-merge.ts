/**
 * `fuseflow eval merge FILE... [--json] [--report FILE]`: the reduce step of a map/merge
 * evaluation. Reads the state files the shards wrote (`fuseflow eval … --state-out FILE`), checks
 * they are all the shards of one run, merges their metric states and prints exactly what one
 * `fuseflow eval` over all the inputs prints — every metric, CI bounds included — whatever the
 * order of the files. A metric that asks for another pass over the input after the merge (exact
 * AUC refinement of score-histogram bins holding both classes) gets it here: from the keys the
 * shards' histograms kept (STATE.keys beside each state, src/eval/shard/kept-keys.ts) when every
 * shard kept them, else from the input files the shards recorded (refused if one changed since)
 * — or, with `--next-pass-out PLAN`, what the kept keys do not refine comes from the
 * shards: the merge writes PLAN, the shards run it (`--pass PLAN`) and the merge of their pass
 * files finishes the round (src/eval/shard/refine-round.ts). A round with nothing left to do
 * (every shard kept its keys) is a plan marked complete holding the final states: the shards'
 * `--pass PLAN` steps read nothing, and the merge of their files prints the same results.
 * Exit codes: 0 done, 1 bad input (a damaged, foreign, duplicate or missing shard; changed
 * inputs) or a refused output, 2 bad usage.
 *
 * @example
 * fuseflow eval merge states/shard-*.state --json
 */
import { statSync } from 'node:fs';
import { InputError, OptionsError } from '../../core/errors.js';
import { evaluateStates, resultsOf, type EvaluatedStates } from '../../eval/evaluate.js';
import { pendingNames, planPasses } from '../../eval/evaluate-passes.js';
import { orderMetrics, type NamedMetric } from '../../eval/evaluate-order.js';
import { attachShardKeys } from '../../eval/shard/kept-keys.js';
import { progressPrinter } from '../../eval/evaluate-progress.js';
import { isMetricsRecipe, metricsFromRecipe } from '../../eval/parallel/metrics-recipe.js';
import type { JoinCounts } from '../../eval/sources/join-sources.js';
import { checkIdsAcrossShards } from '../../eval/shard/id-digests.js';
import { checkShardSet, mergeShardStates } from '../../eval/shard/shard-set.js';
import { checkPassSet, copyStates, finishRound } from '../../eval/shard/refine-round.js';
import { readStateFile, writeStateFile, type StateFile, type StateFileHeader, type StateFileKind } from '../../eval/shard/state-file.js';
import { MAX_THREADS } from '../../eval/evaluate.js';
import type { EvalArgs } from './eval-args.js';
import { checkEvalOutput } from './eval-output.js';
import { evalPlan, openInputs, printResults, type EvalPlan } from './eval-run.js';
import type { RunRecord } from './eval-shard.js';

export const EVAL_MERGE_USAGE = `usage: fuseflow eval merge FILE... [--json] [--report FILE.html] [--next-pass-out PLAN] [--overwrite] [--threads N] [--no-progress]

Merges the state files of every shard of one run (fuseflow eval ... --state-out FILE) and prints
what one fuseflow eval over all the inputs prints (a table, or --json), every metric and CI bound
included, whatever the order of the files. A shard given twice, a missing shard, a shard of
another run (arguments, metrics, input files) or a damaged file is an error naming the file.
In a run by --id, an id that two shards read is an error naming the id, both input files and
rows and both shards (each shard writes its ids' digests to STATE.ids, kept beside the state).
The exact AUC/AP refinement after merging is folded from the keys each shard's score histograms
kept (STATE.keys, written beside the state over float32 scores; a stale or damaged one is an
error naming it); where a shard kept none (float64 scores, over its budget, the file removed) it
reads the input files the shards recorded, with the same results; a file changed since is an
error. With --next-pass-out the shards do that pass instead: see below.

  --json                print exactly one JSON object {"metrics": {...}} on stdout
  --report FILE.html    write the HTML report (as fuseflow eval --report)
  --next-pass-out PLAN  when a metric needs another pass, write PLAN (the merged states and the
                        run; versioned, checksummed), print on stderr which round is needed and
                        nothing on stdout, and exit 0: run every shard again with its map-step
                        arguments plus --pass PLAN --state-out FILE2, then merge the FILE2s
                        (they name PLAN, which must not change meanwhile), with --next-pass-out
                        PLAN2 for a further round. When no pass is needed (also when the map
                        shards' kept keys refine AUC/AP here: no round for them), print the
                        results as without it and write PLAN marked complete, holding the final
                        states (shards given --pass PLAN then write small files without reading
                        any input, and merging those prints the same results), so a fixed
                        two-round chain always works
  --overwrite           let --report / --next-pass-out replace an existing file (this run's own
                        plan of the same round is replaced anyway)
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
  const files = flags.files.map(readStateFile);
  const kind = fileKind(files);
  const passes = kind === 'pass' ? checkPassSet(files) : undefined;
  const set = passes?.set ?? checkShardSet(files);
  const run = set.run as RunRecord;
  const args: EvalArgs = {
    ...run.args,
    inputs: run.args.inputs,
    shard: undefined,
    stateOut: undefined,
    pass: undefined,
    threads: flags.threads,
    batchSize: 65_536,
    progress: flags.progress,
    json: flags.json,
    report: flags.report,
    overwrite: flags.overwrite,
    help: false,
  };
  // Rounds done when the files were written: 1 for the map step; a complete plan's round ran no pass.
  const done = passes === undefined ? 1 : passes.plan.header.complete === true ? passes.round - 1 : passes.round;
  const outputInputs = [...run.files.map((f) => f.path), ...flags.files, ...(passes === undefined ? [] : [passes.plan.file])];
  if (args.report !== undefined) checkEvalOutput(args.report, { inputs: outputInputs, overwrite: args.overwrite });
  if (flags.nextPassOut !== undefined) checkEvalOutput(flags.nextPassOut, { inputs: outputInputs, overwrite: args.overwrite || isOwnPlan(flags.nextPassOut, run, done + 1) });
  if (args.report !== undefined && !run.args.withReport)
    throw new InputError(`--report: the shards did not fold the report's metrics; rerun them with --with-report (e.g. ${flags.files[0] ?? ''})`);
  const plan = evalPlan(args, { reportMetrics: run.args.withReport });
  const metrics = orderMetrics(isMetricsRecipe(plan.metrics) ? await metricsFromRecipe(plan.metrics) : plan.metrics);
  // A run by --id: an id that two shards read is refused, as one process refuses it (the map step's files carry id digests).
  if (passes === undefined && run.args.id !== undefined)
    await checkIdsAcrossShards(
      set.shards.map((s) => ({ file: s.file, shard: s.header.shard, ids: s.header.ids })),
      run.args.id,
      run.files,
    );
  const merged = passes === undefined ? mergeShardStates(set, metrics) : finishRound(passes, metrics);
  const rows = passes === undefined ? set.rows : passes.plan.header.rows;
  if (rows === 0) throw new InputError(`no rows to evaluate in any of the ${set.shards.length} shards`);
  const join = passes === undefined ? sumJoins(set.shards.map((s) => s.header.join as JoinCounts | undefined)) : (passes.plan.header.join as JoinCounts | undefined);
  const shown = { rows, ...(join === undefined ? {} : { join }) };
  const names = metrics.map((m) => m.name);
  if (passes === undefined && flags.nextPassOut === undefined) {
    // The exact refinement from the shards' kept keys where every shard kept them; any other extra pass reads the recorded inputs here.
    const states = refineFromShardKeys(set.shards, metrics, merged, args.progress, 'here');
    if (states === undefined) {
      await printResults(args, plan, { ...resultsOf(metrics, merged), ...shown, passes: 1 });
      return 0;
    }
    const evaluated = await passesHere(args, plan, run, states, rows);
    await printResults(args, plan, { ...resultsOf(evaluated.metrics, evaluated.states), ...shown, passes: evaluated.passes });
    return 0;
  }
  // Map states for a round: what the shards' kept keys refine is folded here (no round over the inputs for it), the plan holds the refined states.
  const start = passes === undefined ? (refineFromShardKeys(set.shards, metrics, merged, args.progress, 'round') ?? merged) : merged;
  const before = copyStates(start, names);
  const { pending } = planPasses(metrics, start, false);
  const planOut = flags.nextPassOut;
  const planHeader = (complete: boolean): StateFileHeader => ({
    kind: 'plan',
    run,
    metrics: names,
    shard: { index: 0, count: set.shards.length },
    rows,
    round: done + 1,
    complete,
    passes: pending.map((p) => p.pass.description),
    share: [],
    ...(join === undefined ? {} : { join }),
    writer: `fuseflow eval merge (node ${process.version})`,
  });
  if (pending.length === 0) {
    if (planOut !== undefined) writeStateFile(planOut, planHeader(true), before, { overwrite: true });
    await printResults(args, plan, { ...resultsOf(metrics, start), ...shown, passes: done });
    return 0;
  }
  const what = pending.map((p) => p.pass.description).join('; ');
  if (planOut !== undefined) {
    writeStateFile(planOut, planHeader(false), before, { overwrite: true });
    process.stderr.write(`fuseflow eval merge: round ${done + 1} needed (${what}): run every shard with --pass ${planOut}\n`);
    return 0;
  }
  process.stderr.write(`fuseflow eval merge: round ${done + 1} needed (${what}); without --next-pass-out this process reads the inputs for it and any further round\n`);
  const evaluated = await passesHere(args, plan, run, before, rows);
  await printResults(args, plan, { ...resultsOf(evaluated.metrics, evaluated.states), ...shown, passes: done - 1 + evaluated.passes });
  return 0;
}

/** What the files to merge are: the map step's states, or one round's pass files. */
function fileKind(files: readonly StateFile[]): 'map' | 'pass' {
  const first = files[0];
  if (first === undefined) throw new InputError('no state files to merge');
  const kindOf = (f: StateFile): StateFileKind => f.header.kind ?? 'map';
  for (const f of files) {
    if (kindOf(f) === 'plan')
      throw new InputError("is a refinement plan, not a shard's states: run every shard with --pass and this file, then merge their --state-out files", { file: f.file });
    if (kindOf(f) !== kindOf(first))
      throw new InputError(
        `holds ${kindOf(f) === 'pass' ? 'pass states of a refinement round' : "a map step's states"} but ${first.file} holds ${kindOf(first) === 'pass' ? 'pass states' : "a map step's states"}; merge the files of one round`,
        {
          file: f.file,
        },
      );
  }
  return kindOf(first) === 'pass' ? 'pass' : 'map';
}

/** Whether `file` is this run's own plan of `round` (a rerun of the merge may replace it). */
function isOwnPlan(file: string, run: RunRecord, round: number): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    const { header } = readStateFile(file);
    return header.kind === 'plan' && header.round === round && JSON.stringify(header.run) === JSON.stringify(run);
  } catch {
    return false;
  }
}

/**
 * Refines the merged histograms that every shard kept the keys of from those files
 * (src/eval/shard/kept-keys.ts) and, with `progress`, says on stderr what it read. Returns undefined when no metric
 * asks for a pass over the inputs any more (`merged` then holds the final states), else the states
 * to pass over the inputs from: those refined here, and the others as they were before planning.
 * `then`: who reads the inputs for what is left: this merge (said in a progress line), or the shards in a round (said by the caller).
 */
function refineFromShardKeys(
  shards: readonly StateFile[],
  metrics: readonly NamedMetric[],
  merged: readonly unknown[],
  progress: boolean,
  then: 'here' | 'round',
): unknown[] | undefined {
  const names = metrics.map((m) => m.name);
  const keys = attachShardKeys(shards, names, merged);
  const before = copyStates(merged, names);
  // Planning folds the refinement of the histograms given the files' keys (in their metrics' nextPass).
  const { pending } = planPasses(metrics, merged, false);
  const say = (line: string): boolean => progress && process.stderr.write(`fuseflow eval merge: ${line}\n`);
  if (keys.attached > 0) {
    const read = keys.files.reduce((a, f) => a + f.bytesRead, 0);
    const n = keys.passBytes.length;
    say(
      `exact refinement of ${keys.attached} score histogram${keys.attached === 1 ? '' : 's'} from the shards' kept keys (${(read / 2 ** 20).toFixed(1)} MiB read in ${n} pass${n === 1 ? '' : 'es'})${pending.length === 0 ? '; no input read' : ''}`,
    );
  }
  if (pending.length === 0) return undefined;
  // In a round, the merge's own line says which round is needed and that the shards read for it.
  if (then === 'here') say(`reading the inputs for the refinement of ${pendingNames(metrics, pending)}${keys.why.length === 0 ? '' : ` (${keys.why.join('; ')})`}`);
  const pend = new Set(pending.map((p) => p.m));
  return merged.map((s, m) => (pend.has(m) ? before[m] : s));
}

/** The extra passes the metrics ask for from `states`, read from the recorded input files in this process; refuses inputs changed since the shards read them. */
async function passesHere(args: EvalArgs, plan: EvalPlan, run: RunRecord, states: readonly unknown[], rows: number): Promise<EvaluatedStates> {
  const progress = args.progress ? progressPrinter((line) => process.stderr.write(`fuseflow eval merge: ${line}\n`)) : undefined;
  const evaluated = await evaluateStates({
    data: openInputs(
      args,
      progress,
      run.files.map((f) => ({ path: f.path })),
    ),
    metrics: plan.metrics,
    batchSize: args.batchSize,
    firstPass: { states, rows },
    ...(args.threads === undefined ? {} : { threads: args.threads }),
    ...(plan.scores === undefined ? {} : { scores: plan.scores }),
    ...(progress === undefined ? {} : { onProgress: progress, progressIntervalMs: 1000 }),
  });
  // Checked after the pass, so a file rewritten before or while it was read is caught before anything is printed.
  if (evaluated.passes > 1) checkInputsUnchanged(run);
  return evaluated;
}

interface MergeFlags {
  readonly files: readonly string[];
  readonly json: boolean;
  readonly report: string | undefined;
  readonly overwrite: boolean;
  readonly threads: number | undefined;
  readonly progress: boolean;
  /** `--next-pass-out PLAN`: write the plan of the next refinement round instead of reading the inputs. */
  readonly nextPassOut: string | undefined;
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
  let nextPassOut: string | undefined;
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
    } else if (flag === '--next-pass-out') {
      if (nextPassOut !== undefined) throw new OptionsError('--next-pass-out given twice');
      nextPassOut = value();
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
  if (overwrite && report === undefined && nextPassOut === undefined) throw new OptionsError('--overwrite applies to --report FILE or --next-pass-out PLAN; give the output file');
  return { files, json, report, overwrite, threads, progress, nextPassOut, help };
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
