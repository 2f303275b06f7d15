/**
 * What a queue job may run: a fuseflow command line of one of four forms, and nothing else —
 *
 *   cache fill MODULE --shards N --index I [--to DIR] [--local DIR] [--threads T] [--s3-endpoint URL] [--progress]
 *   cache commit SHARED_DIR [--s3-endpoint URL]
 *   eval … --shard I/N [--pass PLAN] --state-out FILE   (any `fuseflow eval` flags that make a shard)
 *   eval merge STATE_FILE… [--json] [--report FILE] [--overwrite] [--threads N] [--no-progress]
 *              [--next-pass-out PLAN]
 *
 * A merge job of a queued eval run also carries the recipe of its refinement rounds (`rounds`,
 * eval-rounds.ts); its command line must then be exactly the one that recipe makes.
 *
 * The submitter builds jobs with {@link shardJob}/{@link finalJob}; the worker checks every job it
 * takes again with {@link checkJob} before it starts anything, so a queue anyone can write to is
 * not a way to run other commands. `cache fill` imports the user's dataset module (code), so a
 * worker runs only the modules it was started with (`--allow-module`).
 */
import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, resolve, sep } from 'node:path';
import { InputError } from '../../core/errors.js';
import { parseEvalArgs } from '../commands/eval-args.js';
import { checkRounds, roundJobs, type EvalRounds } from './eval-rounds.js';

/** The data of one queue job. */
export interface QueueJobData {
  /** Format version of this object. */
  readonly v: 1;
  /** `shard` (one of N) or `final` (commit / merge, after every shard). */
  readonly step: 'shard' | 'final';
  /** The fuseflow arguments, without the program (`['eval', '--input', …]`). */
  readonly argv: readonly string[];
  /** The folder the command runs in (absolute; the submitter's, on a filesystem the workers share). */
  readonly cwd: string;
  /** Shard index and count (shard steps), for messages. */
  readonly shard?: { readonly index: number; readonly count: number };
  /**
   * The submitter's time limit for one attempt of this job, in seconds (`submit --job-timeout`);
   * a worker's own `--job-timeout` caps it. Absent: only the worker's limit, if any.
   */
  readonly timeoutS?: number;
  /** eval merge jobs of `fuseflow submit eval`: how to add the next refinement round (eval-rounds.ts). */
  readonly rounds?: EvalRounds;
}

/** A job that passed {@link checkJob}: what the worker runs. */
export interface CheckedJob extends QueueJobData {
  /** Which whitelisted form it is. */
  readonly form: 'cache fill' | 'cache commit' | 'eval shard' | 'eval merge';
  /** What a shard counts in its progress: `ids` (cache fill) or `rows` (eval). */
  readonly unit: 'ids' | 'rows' | undefined;
}

/** What a worker allows beyond the fixed forms. */
export interface JobPolicy {
  /** Dataset modules (files, or folders holding them) that `cache fill` jobs may import. */
  readonly allowModules: readonly string[];
}

/** Bounds on a job's payload. */
const MAX_ARGS = 100_000;
/**
 * The longest time limit a job or a worker may set, in seconds (~23 days: Node's timers hold at
 * most 2^31-1 ms).
 */
export const MAX_JOB_TIMEOUT_S = 2_000_000;
const MAX_ARG_CHARS = 65_536;

function refuse(why: string): never {
  throw new InputError(`queue job refused: ${why} (a worker runs only fuseflow cache fill/commit and eval shard/merge command lines)`);
}

/** Splits `args` into flags (name → value, or true for a switch) and positionals; unknown flags are refused. */
function scan(args: readonly string[], valued: readonly string[], switches: readonly string[], what: string): { positional: string[]; values: Map<string, string | true> } {
  const positional: string[] = [];
  const values = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (!a.startsWith('-')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (switches.includes(a)) values.set(a, true);
    else if (valued.includes(name)) {
      const value = eq > 0 ? a.slice(eq + 1) : args[++i];
      if (value === undefined || value === '') refuse(`${what}: ${name} needs a value`);
      if (values.has(name)) refuse(`${what}: ${name} is given twice`);
      values.set(name, value);
    } else refuse(`${what}: option '${a}' is not one a queue job may pass`);
  }
  return { positional, values };
}

function isUnder(file: string, root: string): boolean {
  return file === root || file.startsWith(root.endsWith(sep) ? root : root + sep);
}

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

function checkCacheFill(args: readonly string[], cwd: string, policy: JobPolicy): CheckedJob['form'] {
  const { positional, values } = scan(args, ['--shards', '--index', '--to', '--local', '--threads', '--s3-endpoint'], ['--progress'], 'cache fill');
  if (positional.length !== 1) refuse(`cache fill takes one dataset MODULE, got ${positional.length} positional arguments`);
  for (const flag of ['--shards', '--index', '--to']) if (!values.has(flag)) refuse(`cache fill needs ${flag} in a queue job`);
  const module = realOrSelf(resolve(cwd, positional[0] as string));
  const roots = policy.allowModules.map(realOrSelf);
  if (!roots.some((r) => isUnder(module, r)))
    refuse(
      roots.length === 0
        ? `cache fill imports the dataset module ${module}, and this worker allows none (start it with --allow-module ${module})`
        : `cache fill imports the dataset module ${module}, which is not under this worker's --allow-module ${roots.join(', ')}`,
    );
  return 'cache fill';
}

function checkEval(args: readonly string[]): CheckedJob['form'] {
  if (args[0] === 'merge') {
    const { positional } = scan(args.slice(1), ['--report', '--threads', '--next-pass-out'], ['--json', '--overwrite', '--no-progress'], 'eval merge');
    if (positional.length === 0) refuse('eval merge needs its state files');
    return 'eval merge';
  }
  if (args[0] !== undefined && !args[0].startsWith('-')) refuse(`'eval ${args[0]}' is not a queue job`);
  let parsed;
  try {
    parsed = parseEvalArgs(args);
  } catch (err) {
    refuse(`eval: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (parsed.help) refuse('eval --help is not a job');
  if (parsed.shard === undefined || parsed.stateOut === undefined) refuse('an eval job must be one shard: --shard I/N and --state-out FILE');
  return 'eval shard';
}

/**
 * Checks that `data` is a whitelisted fuseflow command line and returns it typed.
 *
 * @throws {InputError} `queue job refused: …` naming what is not allowed.
 */
export function checkJob(data: unknown, policy: JobPolicy): CheckedJob {
  if (typeof data !== 'object' || data === null) refuse('the job data is not an object');
  const d = data as Partial<Record<keyof QueueJobData, unknown>>;
  if (d.v !== 1) refuse(`unknown job format version ${JSON.stringify(d.v)} (this worker reads 1)`);
  if (d.step !== 'shard' && d.step !== 'final') refuse(`step must be 'shard' or 'final', got ${JSON.stringify(d.step)}`);
  if (!Array.isArray(d.argv) || d.argv.length > MAX_ARGS || !d.argv.every((a) => typeof a === 'string' && a.length <= MAX_ARG_CHARS && !a.includes('\0')))
    refuse(`argv must be at most ${MAX_ARGS} strings of at most ${MAX_ARG_CHARS} characters without NUL`);
  const argv = d.argv as string[];
  if (typeof d.cwd !== 'string' || !isAbsolute(d.cwd)) refuse(`cwd must be an absolute path, got ${JSON.stringify(d.cwd)}`);
  const cwd = d.cwd;
  let cwdIsDir: boolean;
  try {
    cwdIsDir = statSync(cwd).isDirectory();
  } catch {
    cwdIsDir = false;
  }
  if (!cwdIsDir) throw new InputError(`queue job: its folder ${cwd} is not a folder on this machine (workers must see the submitter's filesystem)`);
  const [command, sub, ...rest] = argv;
  let form: CheckedJob['form'];
  if (command === 'cache' && sub === 'fill') form = checkCacheFill(rest, cwd, policy);
  else if (command === 'cache' && sub === 'commit') {
    const { positional } = scan(rest, ['--s3-endpoint'], [], 'cache commit');
    if (positional.length !== 1) refuse('cache commit takes one SHARED_DIR');
    form = 'cache commit';
  } else if (command === 'eval') form = checkEval(argv.slice(1));
  else refuse(`'${argv.slice(0, 2).join(' ')}' is not one of them`);
  const expected = form === 'cache fill' || form === 'eval shard' ? 'shard' : 'final';
  if (d.step !== expected) refuse(`a ${form} job is a ${expected} step, not ${String(d.step)}`);
  const shard = d.shard as QueueJobData['shard'];
  const timeoutS = d.timeoutS;
  if (timeoutS !== undefined && (typeof timeoutS !== 'number' || !Number.isSafeInteger(timeoutS) || timeoutS < 1 || timeoutS > MAX_JOB_TIMEOUT_S))
    refuse(`timeoutS must be a whole number of seconds from 1 to ${MAX_JOB_TIMEOUT_S}, got ${JSON.stringify(timeoutS)}`);
  let rounds: EvalRounds | undefined;
  if (d.rounds !== undefined) {
    if (form !== 'eval merge') refuse(`only an eval merge job carries rounds, not a ${form} job`);
    rounds = checkRounds(d.rounds);
    const expectedArgv = roundJobs(rounds, cwd, timeoutS).mergeJob.argv;
    if (JSON.stringify(expectedArgv) !== JSON.stringify(argv)) refuse(`the merge's command line is not the one its rounds make for round ${rounds.round}`);
  }
  return {
    v: 1,
    step: d.step,
    argv,
    cwd,
    ...(shard === undefined ? {} : { shard }),
    ...(timeoutS === undefined ? {} : { timeoutS }),
    ...(rounds === undefined ? {} : { rounds }),
    form,
    unit: form === 'cache fill' ? 'ids' : form === 'eval shard' ? 'rows' : undefined,
  };
}
