/**
 * The map step of `fuseflow eval` over many machines: `--state-out FILE [--shard i/N]` reads
 * shard i's part of the sorted input files (src/eval/shard/shard-share.ts), folds it into the
 * metrics' first-pass states and writes them with what the run was (arguments, the file list
 * with sizes and times) to FILE (src/eval/shard/state-file.ts). `fuseflow eval merge` checks the
 * shards belong together and prints what one run over all inputs prints. Beside FILE go FILE.ids
 * (with --id: the share's id digests) and FILE.keys (the keys its score histograms kept, over
 * float32 scores: merge refines AUC/AP from them, src/eval/shard/kept-keys.ts), both bound to FILE
 * by checksum.
 *
 * With `--pass PLAN` the shard runs a refinement round instead (see runPassShard and
 * src/eval/shard/refine-round.ts): the passes PLAN plans, over the same share, into FILE.
 *
 * Idempotent: a rerun of the same shard (after a kill, or a retried queue job) whose file already
 * holds its state of the same run (flags, inputs by path, size and mtime, shard i/N, metric set,
 * with --id its intact digest file, its intact kept-keys file) exits 0 without reading, and replaces its own state of this
 * run's flags over inputs since changed (saying so); a pass shard whose file already holds its
 * pass of the same plan (path and checksum) exits 0 without reading, and replaces its own pass
 * file of an earlier plan (saying so). Any other existing file is refused unless --overwrite. Exit codes: 0 written, 1 bad
 * input or a refused output, 2 bad usage.
 */
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InputError, OptionsError } from '../../core/errors.js';
import { groupDigits } from '../../core/group-digits.js';
import { launchRank } from '../../core/launch-rank.js';
import { evaluatePass, evaluateStates } from '../../eval/evaluate.js';
import { orderMetrics, type NamedMetric } from '../../eval/evaluate-order.js';
import type { EvalProgress } from '../../eval/evaluate-progress.js';
import { METRICS_BY_CLI_NAME } from '../../eval/metrics/cli-metrics.js';
import type { EvalSource } from '../../eval/sources/eval-source.js';
import type { FilePart } from '../../eval/sources/file-set-source.js';
import { expandInput } from '../../eval/sources/path-glob.js';
import { IdDigestWriter, tapIds, type IdDigestRef } from '../../eval/shard/id-digests.js';
import { isMetricsRecipe, metricsFromRecipe } from '../../eval/parallel/metrics-recipe.js';
import { checkKeptKeysTarget, type KeptKeysRef } from '../../eval/shard/kept-keys-file.js';
import { KeptKeysFile } from '../../eval/shard/kept-keys-reader.js';
import { releaseShardKeys, writeShardKeys } from '../../eval/shard/kept-keys.js';
import { shardShare, type ShardIndex } from '../../eval/shard/shard-share.js';
import { readStateFile, writeStateFile, type StateFileHeader } from '../../eval/shard/state-file.js';
import { checkMetricNames } from '../../eval/shard/refine-round.js';
import { runDifference } from '../../eval/shard/shard-set.js';
import type { EvalArgs } from './eval-args.js';
import { checkEvalOutput } from './eval-output.js';
import type { EvalPlan } from './eval-run.js';

/** The arguments that make a run (recorded in every state file; equal in all shards of one run). */
export type RunArgs = Omit<EvalArgs, 'shard' | 'stateOut' | 'pass' | 'threads' | 'batchSize' | 'progress' | 'json' | 'report' | 'overwrite' | 'help'>;

/** What every shard of one run records identically: its arguments and the input files it saw. */
export interface RunRecord {
  readonly args: RunArgs;
  /** The sorted input files: absolute path, bytes, modification time (ms). */
  readonly files: readonly { readonly path: string; readonly bytes: number; readonly mtimeMs: number }[]; // mtime in whole ms
}

/**
 * Evaluates one shard and writes its state file; returns the exit code.
 * @throws OptionsError for options sharding cannot honour; InputError / OutputError naming the file.
 */
export async function runShard(
  args: EvalArgs,
  stateOut: string,
  plan: EvalPlan,
  open: (parts: readonly FilePart[], tapFirst?: (source: EvalSource) => EvalSource) => EvalSource,
  progress: ((p: EvalProgress) => void) | undefined,
): Promise<number> {
  checkShardable(args, plan);
  if (args.pass !== undefined) return runPassShard(args, args.pass, stateOut, plan, open, progress);
  const shard: ShardIndex = args.shard ?? rankFromLauncher();
  const files = expandInput(args.inputs[0] as string);
  const run = runRecord(args, files);
  const own = args.overwrite ? undefined : await ownStateFile(stateOut, run, shard, () => metricNames(plan));
  checkEvalOutput(stateOut, { inputs: files, overwrite: args.overwrite || own !== undefined });
  if (own !== undefined) {
    // A rerun (a resubmitted array task, a retried job): the same shard of the same run over the same inputs is done.
    const at = `fuseflow eval: shard ${shard.index}/${shard.count}`;
    if (own.stale === undefined) {
      process.stderr.write(`${at}: ${stateOut} already holds this shard's state of this run (same inputs, flags and metrics); nothing read\n`);
      return 0;
    }
    process.stderr.write(`${at}: replacing ${stateOut}, this shard's state of this run over inputs since changed (${own.stale})\n`);
  }
  const share = await shardShare(files, shard);
  // With --id, the ids of the share go to a sorted digest file beside the state: merge refuses an id two shards read.
  const idColumn = args.id;
  const digests = idColumn === undefined ? undefined : new IdDigestWriter(`${stateOut}.ids`, { overwrite: args.overwrite });
  // The score histograms' kept keys go beside the state too (STATE.keys): merge refines from them instead of reading the inputs.
  const keysFile = `${stateOut}.keys`;
  checkKeptKeysTarget(keysFile, args.overwrite);
  let evaluated: Awaited<ReturnType<typeof evaluateStates>>;
  try {
    evaluated = await evaluateStates({
      data: open(share, digests === undefined || idColumn === undefined ? undefined : (s) => tapIds(s, idColumn, digests)),
      metrics: plan.metrics,
      batchSize: args.batchSize,
      firstPassOnly: true,
      ...(args.threads === undefined ? {} : { threads: args.threads }),
      ...(plan.scores === undefined ? {} : { scores: plan.scores }),
      ...(progress === undefined ? {} : { onProgress: progress, progressIntervalMs: 1000 }),
    });
  } catch (err) {
    digests?.abort();
    throw err;
  }
  const ids = digests === undefined ? {} : { ids: digests.finish(share) };
  let keys: KeptKeysRef | undefined;
  try {
    keys = writeShardKeys(
      keysFile,
      evaluated.states,
      evaluated.metrics.map((m) => m.name),
      args.overwrite,
    );
  } finally {
    // Written: the shard's memory (and this process's ledger) no longer holds them.
    releaseShardKeys(evaluated.states);
  }
  const header: StateFileHeader = {
    kind: 'map',
    run,
    metrics: evaluated.metrics.map((m) => m.name),
    shard,
    rows: evaluated.rows,
    share,
    ...(evaluated.join === undefined ? {} : { join: evaluated.join }),
    ...ids,
    ...(keys === undefined ? {} : { keys }),
    writer: `fuseflow eval (node ${process.version})`,
  };
  writeStateFile(stateOut, header, evaluated.states, { overwrite: true });
  const what = share.length === 0 ? 'no file (more shards than files and record batches)' : `${share.length} file${share.length === 1 ? '' : 's'}`;
  process.stderr.write(`fuseflow eval: shard ${shard.index}/${shard.count}: ${groupDigits(evaluated.rows)} rows from ${what} → ${stateOut}\n`);
  return 0;
}

/**
 * One shard's part of a refinement round (`--pass PLAN`): checks the shard is of the plan's run
 * (arguments, input files, shard count), plans the passes from the plan's states, reads only its
 * own share and writes the pass states (or, for a plan marked complete, a file saying so without
 * reading any input).
 * @throws InputError naming the plan (not a plan, another run) or the output file.
 */
async function runPassShard(
  args: EvalArgs,
  planPath: string,
  stateOut: string,
  plan: EvalPlan,
  open: (parts: readonly FilePart[]) => EvalSource,
  progress: ((p: EvalProgress) => void) | undefined,
): Promise<number> {
  const shard: ShardIndex = args.shard ?? rankFromLauncher();
  const files = expandInput(args.inputs[0] as string);
  const planFile = readStateFile(planPath);
  const ph = planFile.header;
  if (ph.kind !== 'plan') throw new InputError('--pass: not a refinement plan (fuseflow eval merge --next-pass-out writes one)', { file: planPath });
  const run = runRecord(args, files);
  if (JSON.stringify(ph.run) !== JSON.stringify(run))
    throw new InputError(
      `--pass: the plan is of another run than this shard: ${runDifference(ph.run, run)}; give the map step's arguments (and do not change the inputs while the run lasts)`,
      { file: planPath },
    );
  if (ph.shard.count !== shard.count)
    throw new InputError(`--pass: the plan is of a run of ${ph.shard.count} shards, this is shard ${shard.index}/${shard.count}`, { file: planPath });
  const round = ph.round ?? 2;
  const ran = ownPassFilePlan(stateOut, run, shard);
  checkEvalOutput(stateOut, { inputs: [...files, planPath], overwrite: args.overwrite || ran !== undefined });
  const planRef = { path: resolve(planPath), digest: planFile.digest };
  const at = `fuseflow eval: shard ${shard.index}/${shard.count}: round ${round}`;
  if (ran !== undefined && !args.overwrite) {
    // A rerun (a resubmitted array task, a retried job): the same plan is done; an earlier plan's file is this shard's to replace.
    if (ran.path === planRef.path && ran.digest === planRef.digest) {
      process.stderr.write(`${at}: ${stateOut} already holds this shard's pass of this plan (same checksum); nothing read\n`);
      return 0;
    }
    process.stderr.write(`${at}: replacing ${stateOut}, this shard's pass of an earlier plan (${ran.path}, checksum ${ran.digest.slice(0, 12)}…)\n`);
  }
  const base = { kind: 'pass' as const, run, shard, round, plan: planRef, writer: `fuseflow eval (node ${process.version})` };
  if (ph.complete === true) {
    writeStateFile(stateOut, { ...base, metrics: [], rows: 0, share: [], complete: true }, [], { overwrite: true });
    process.stderr.write(`fuseflow eval: shard ${shard.index}/${shard.count}: round ${round}: the plan is complete (no metric needs another pass); nothing read → ${stateOut}\n`);
    return 0;
  }
  const share = await shardShare(files, shard);
  const evaluated = await evaluatePass({
    data: open(share),
    metrics: plan.metrics,
    planFrom: planFile.states,
    passNumber: round,
    batchSize: args.batchSize,
    ...(args.threads === undefined ? {} : { threads: args.threads }),
    ...(plan.scores === undefined ? {} : { scores: plan.scores }),
    ...(progress === undefined ? {} : { onProgress: progress, progressIntervalMs: 1000 }),
  });
  checkMetricNames(planFile, evaluated.metrics);
  const metrics = evaluated.pending.map((m) => (evaluated.metrics[m] as NamedMetric).name);
  writeStateFile(stateOut, { ...base, metrics, rows: evaluated.rows, share }, evaluated.states, { overwrite: true });
  process.stderr.write(
    `fuseflow eval: shard ${shard.index}/${shard.count}: round ${round} (${evaluated.descriptions.join('; ')}): ${groupDigits(evaluated.rows)} rows → ${stateOut}\n`,
  );
  return 0;
}

/** The run's arguments as recorded (what does not change results is left out) and its files. */
export function runRecord(args: EvalArgs, files: readonly string[]): RunRecord {
  const { shard: _s, stateOut: _o, pass: _x, threads: _t, batchSize: _b, progress: _p, json: _j, report: _r, overwrite: _w, help: _h, ...kept } = args;
  return {
    args: kept,
    files: files.map((f) => {
      const st = statSync(f);
      return { path: resolve(f), bytes: st.size, mtimeMs: Math.trunc(st.mtimeMs) };
    }),
  };
}

/** Refuses what a shard cannot compute so that merged shards equal one run. */
export function checkShardable(args: EvalArgs, plan: EvalPlan): void {
  if (args.ci === undefined || args.id !== undefined || args.ciResample === 'state') return;
  const rowResampled =
    args.ciResample === 'rows' ? [...plan.spec.requested] : plan.spec.requested.filter((n) => METRICS_BY_CLI_NAME[n]?.({ ...plan.keys, name: n }).replicate === undefined);
  if (rowResampled.length > 0)
    throw new OptionsError(
      `--state-out with --ci: ${rowResampled.join(', ')} resample${rowResampled.length === 1 ? 's' : ''} rows, and a row's bootstrap weights must not depend on which shard read it: give the sample-id column with --id (weights are then a function of seed and id, as in one run), or --ci-resample state`,
    );
}

/** The launcher's rank (Slurm, Kubernetes Indexed Job, RANK/WORLD_SIZE) as a shard. */
export function rankFromLauncher(): ShardIndex {
  const r = launchRank({ flagNames: { index: '--shard i', count: '--shard N' } });
  return { index: r.rank, count: r.worldSize };
}

/**
 * The plan that `file` ran when it is this shard's pass file of this run (any round: a rerun skips
 * the same plan and replaces another's); undefined for anything else, which is refused as before.
 */
function ownPassFilePlan(file: string, run: RunRecord, shard: ShardIndex): { readonly path: string; readonly digest: string } | undefined {
  try {
    if (!statSync(file).isFile()) return undefined;
    const { header } = readStateFile(file);
    const own = header.kind === 'pass' && JSON.stringify(header.run) === JSON.stringify(run) && header.shard.index === shard.index && header.shard.count === shard.count;
    return own ? header.plan : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What `file` is to this map shard: its state of this run (`stale` undefined: same arguments, inputs
 * — paths, sizes, mtimes —, shard i/N, metric set and, with --id, its id digest file intact), or its
 * state of this run's arguments and shard whose inputs or metric set have changed since (`stale`
 * says what: the shard replaces it); undefined for anything else, which is refused as before.
 * `metricsOf` (the run's metric names) is only called when there is such a file to compare.
 */
async function ownStateFile(file: string, run: RunRecord, shard: ShardIndex, metricsOf: () => Promise<readonly string[]>): Promise<{ readonly stale?: string } | undefined> {
  let header: StateFileHeader;
  try {
    if (!statSync(file).isFile()) return undefined;
    header = readStateFile(file).header;
  } catch {
    return undefined;
  }
  const was = header.run as Partial<RunRecord> | null;
  const ownShard = (header.kind ?? 'map') === 'map' && header.shard.index === shard.index && header.shard.count === shard.count;
  if (!ownShard || typeof was !== 'object' || was === null || JSON.stringify(was.args) !== JSON.stringify(run.args)) return undefined;
  if (JSON.stringify(was.files) !== JSON.stringify(run.files)) return { stale: filesDifference(was.files, run.files) };
  const metrics = await metricsOf();
  if (JSON.stringify(header.metrics) !== JSON.stringify(metrics)) return { stale: `its metrics ${header.metrics.join(',')}, now ${metrics.join(',')}` };
  if (run.args.id !== undefined && !(await idsIntact(file, header.ids))) return { stale: `its id digest file ${file}.ids is missing or not the one it recorded` };
  if (header.keys !== undefined && !keysIntact(file, header.keys)) return { stale: `its kept-keys file ${file}.keys is missing or not the one it recorded` };
  return {};
}

/** The first input that differs between a state's record and now, in words. */
function filesDifference(was: RunRecord['files'] | undefined, now: RunRecord['files']): string {
  const before = new Map<string, RunRecord['files'][number]>((Array.isArray(was) ? (was as RunRecord['files']) : []).map((f) => [f.path, f]));
  for (const f of now) {
    const b = before.get(f.path);
    if (b === undefined) return `${f.path} is new`;
    if (b.bytes !== f.bytes || b.mtimeMs !== f.mtimeMs)
      return `${f.path}: ${b.bytes} bytes, modified ${new Date(b.mtimeMs).toISOString()}; now ${f.bytes} bytes, modified ${new Date(f.mtimeMs).toISOString()}`;
    before.delete(f.path);
  }
  const gone = [...before.keys()];
  return gone.length > 0 ? `${gone[0] as string} is gone` : 'the input order';
}

/** Whether the id digest file a map state recorded is beside it, with the recorded checksum. */
async function idsIntact(file: string, ref: unknown): Promise<boolean> {
  const r = ref as Partial<IdDigestRef> | undefined;
  if (typeof r?.file !== 'string' || typeof r.sha256 !== 'string') return false;
  try {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(join(dirname(file), r.file))) hash.update(chunk as Buffer);
    return hash.digest('hex') === r.sha256;
  } catch {
    return false;
  }
}

/** Whether the kept-keys file a map state recorded is beside it, as recorded (head and every block checked). */
function keysIntact(file: string, ref: unknown): boolean {
  const r = ref as Partial<KeptKeysRef>;
  if (typeof r.file !== 'string' || typeof r.bytes !== 'number' || typeof r.sha256 !== 'string') return false;
  try {
    new KeptKeysFile(join(dirname(file), r.file), r as KeptKeysRef, file).checkAll();
    return true;
  } catch {
    return false;
  }
}

/** The metric names a map state of this plan records, in state order. */
async function metricNames(plan: EvalPlan): Promise<string[]> {
  const set = isMetricsRecipe(plan.metrics) ? await metricsFromRecipe(plan.metrics) : plan.metrics;
  return orderMetrics(set).map((m) => m.name);
}
