/**
 * `fuseflow submit cache-fill|eval [the command's flags] --queue URL --shards N …`, parsed into
 * the jobs of one BullMQ flow: N shard jobs (children) under the commit / merge job (parent),
 * each a whitelisted fuseflow command line (job-line.ts). The command's own flags are passed on
 * verbatim, as `fuseflow emit` does; after a bare `--` every argument is the command's.
 *
 *   cache-fill  shard i: cache fill … --shards N --index i      then: cache commit TO
 *   eval        shard i: eval … --shard i/N --state-out RUN/states/shard-i-of-N.state
 *               then:    eval merge RUN/states/shard-{0…N-1}-of-N.state [--json] [--report F]
 *                            --next-pass-out RUN/plan-1.state
 *               and, while a merge plans another pass K, the worker that ran it adds it
 *               (eval-rounds.ts): pass shards --pass RUN/plan-K.state under their merge
 */
import { resolve } from 'node:path';
import { OptionsError } from '../../core/errors.js';
import { splitEvalArgs } from '../commands/eval-split.js';
import { passedFlagValue, refuseShardFlags } from '../commands/split-flags.js';
import { roundJobs, type EvalRounds } from './eval-rounds.js';
import { checkJob, MAX_JOB_TIMEOUT_S, type QueueJobData } from './job-line.js';
import { checkPrefix } from './queue-url.js';

/** What `fuseflow submit` was asked to run. */
export interface SubmitPlan {
  readonly kind: 'cache-fill' | 'eval';
  readonly queue: string;
  readonly prefix: string;
  readonly shards: number;
  /** Tries per job (first run included). */
  readonly attempts: number;
  /** First retry's delay in ms (doubling after). */
  readonly backoffMs: number;
  /** Names the flow's jobs: `RUN_ID.shard-i`, `RUN_ID.commit|merge`. */
  readonly runId: string;
  /** eval: the folder of the shard states (on a filesystem every worker sees). */
  readonly runDir: string | undefined;
  readonly shardJobs: readonly QueueJobData[];
  readonly finalJob: QueueJobData;
  /** eval: the recipe of the refinement rounds (round 1 here; the merge job carries it). */
  readonly rounds: EvalRounds | undefined;
  /** Print progress lines on stderr. */
  readonly progress: boolean;
  /** `--job-timeout`: the limit on one attempt of each job, in seconds (carried in the job data). */
  readonly jobTimeoutS: number | undefined;
}

const VALUED = new Set(['--queue', '--shards', '--prefix', '--attempts', '--backoff', '--run-dir', '--run-id', '--job-timeout']);

function intFlag(flag: string, raw: string | undefined, min: number, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max)
    throw new OptionsError(`${flag} must be an integer ${max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`}, got '${raw}'`);
  return Number(raw);
}

/**
 * Parses the arguments after `fuseflow submit`.
 *
 * @example parseSubmit(['eval', '--input', 'p/*.arrow', '--pred', 'p', '--target', 'y', '--json', '--queue', 'redis://127.0.0.1:6379', '--shards', '4', '--run-dir', 'run'], '/home/me', 'r1')
 * @throws {OptionsError} for a missing --queue/--shards (or eval's --run-dir, cache-fill's --to), a flag submit sets itself, or a job the whitelist would refuse.
 */
export function parseSubmit(args: readonly string[], cwd: string, defaultRunId: string): SubmitPlan {
  const [kind, ...rest] = args;
  if (kind !== 'cache-fill' && kind !== 'eval') throw new OptionsError(`the first word must be cache-fill or eval, got '${kind ?? ''}'`);
  const own = new Map<string, string>();
  const passthrough: string[] = [];
  let progress = true;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] as string;
    if (a === '--') {
      passthrough.push(...rest.slice(i + 1));
      break;
    }
    if (a === '--no-progress') {
      progress = false;
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    if (!VALUED.has(name)) {
      passthrough.push(a);
      continue;
    }
    const value = name === a ? rest[++i] : a.slice(eq + 1);
    if (value === undefined || value === '') throw new OptionsError(`${name} needs a value`);
    if (own.has(name)) throw new OptionsError(`${name} is given twice`);
    own.set(name, value);
  }
  const queue = own.get('--queue');
  if (queue === undefined) throw new OptionsError('--queue redis://HOST:PORT is required');
  const shards = intFlag('--shards', own.get('--shards'), 1, 0);
  if (shards === 0) throw new OptionsError('--shards N is required');
  const runId = own.get('--run-id') ?? defaultRunId;
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(runId)) throw new OptionsError(`--run-id '${runId}' may hold only letters, digits, '_' and '-'`);
  const runDirRaw = own.get('--run-dir');
  const n = String(shards);
  let shardJobs: QueueJobData[];
  let finalJob: QueueJobData;
  let runDir: string | undefined;
  let rounds: EvalRounds | undefined;
  const timeoutRaw = own.get('--job-timeout');
  const jobTimeoutS = timeoutRaw === undefined ? undefined : intFlag('--job-timeout', timeoutRaw, 1, 0, MAX_JOB_TIMEOUT_S);
  const attempts = intFlag('--attempts', own.get('--attempts'), 1, 3);
  const backoffMs = intFlag('--backoff', own.get('--backoff'), 0, 5000);
  if (kind === 'cache-fill') {
    if (runDirRaw !== undefined) throw new OptionsError('--run-dir is for eval (cache-fill publishes to its --to folder)');
    refuseShardFlags(passthrough, ['--index', '--shards'], `fuseflow submit ${kind}`);
    const to = passedFlagValue(passthrough, '--to');
    if (to === undefined || to === '') throw new OptionsError('cache-fill needs --to SHARED_DIR (the folder every worker publishes its shard to, then committed)');
    shardJobs = Array.from({ length: shards }, (_, i) => ({
      v: 1,
      step: 'shard',
      argv: ['cache', 'fill', ...passthrough, '--shards', n, '--index', String(i)],
      cwd,
      shard: { index: i, count: shards },
    }));
    const endpoint = passedFlagValue(passthrough, '--s3-endpoint');
    finalJob = { v: 1, step: 'final', argv: ['cache', 'commit', to, ...(endpoint === undefined ? [] : ['--s3-endpoint', endpoint])], cwd };
  } else {
    if (runDirRaw === undefined) throw new OptionsError('eval needs --run-dir DIR: a folder every worker sees, for the shard states (DIR/states/)');
    runDir = resolve(cwd, runDirRaw);
    refuseShardFlags(passthrough, ['--shard', '--state-out'], `fuseflow submit ${kind}`);
    refuseShardFlags(passthrough, ['--pass', '--next-pass-out'], `fuseflow submit ${kind}`);
    const { shardArgs, mergeArgs } = splitEvalArgs(passthrough);
    rounds = { runId, runDir, shards, shardArgs, mergeArgs, round: 1, attempts, backoffMs };
    const first = roundJobs(rounds, cwd, jobTimeoutS);
    shardJobs = [...first.shardJobs];
    finalJob = first.mergeJob;
  }
  if (jobTimeoutS !== undefined && kind === 'cache-fill') {
    shardJobs = shardJobs.map((j) => ({ ...j, timeoutS: jobTimeoutS }));
    finalJob = { ...finalJob, timeoutS: jobTimeoutS };
  }
  // The worker checks every job again; refuse here what it would refuse there (module policy aside).
  for (const job of [...shardJobs.slice(0, 1), finalJob]) {
    try {
      checkJob(job, { allowModules: ['/'] });
    } catch (err) {
      throw new OptionsError(err instanceof Error ? err.message : String(err));
    }
  }
  return {
    kind,
    queue,
    prefix: checkPrefix(own.get('--prefix') ?? 'fuseflow'),
    shards,
    attempts,
    backoffMs,
    runId,
    runDir,
    shardJobs,
    finalJob,
    rounds,
    progress,
    jobTimeoutS,
  };
}
