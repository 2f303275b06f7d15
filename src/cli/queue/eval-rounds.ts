/**
 * The rounds of a queued `fuseflow submit eval` run. Round 1 is the map step: N shard jobs under
 * a merge job. The merge runs with `--next-pass-out RUN/plan-1.state`; when a metric asks for
 * another pass over the inputs (exact AUC/AP refinement that the shards' kept keys, STATE.keys,
 * do not allow the merge to fold itself), that merge writes the plan instead of results, and the worker that ran it adds round 2, the first extra pass: N pass-shard jobs
 * (`eval … --shard i/N --pass RUN/plan-1.state --state-out RUN/states/pass-1-shard-i-of-N.state`)
 * under the merge of their files (`--next-pass-out RUN/plan-2.state`), and so on until a merge
 * prints the results (the file names are those `fuseflow emit` uses: plan-K and pass-K for the
 * K-th extra pass, which is round K+1). The shards read their own share in every round; no process reads all the
 * inputs. Job ids are fixed by run id and round, so a retried merge never adds a round twice.
 *
 * Every merge job carries the recipe of the rounds ({@link EvalRounds}); the jobs of round r+1
 * are a pure function of it, built here both by the submitter (round 1) and the worker (rounds
 * 2…), and checked against the whitelist like any other job.
 */
import { InputError } from '../../core/errors.js';
import type { QueueJobData } from './job-line.js';

/**
 * Most rounds a queued run chains (the map step included). The metrics bound their passes
 * themselves (a ranking metric's `maxPasses`); a merge of this round reads any further pass from
 * the inputs itself, as a merge without `--next-pass-out` does.
 */
export const MAX_ROUNDS = 32;

/** What a merge job needs to add the next round: carried in its job data (`rounds`). */
export interface EvalRounds {
  /** The run id: the job ids are `ID-shard-i`/`ID-merge` (round 1) and `ID-pass-K-shard-i`/`ID-pass-K-merge` (round K+1). */
  readonly runId: string;
  /** The run folder (absolute): plans `DIR/plan-K.state`, shard files `DIR/states/…`. */
  readonly runDir: string;
  readonly shards: number;
  /** The eval flags of every shard (without --shard, --state-out, --pass). */
  readonly shardArgs: readonly string[];
  /** The merge's own flags (--json, --report F, --overwrite). */
  readonly mergeArgs: readonly string[];
  /** The round this merge job merges (1: the map step). */
  readonly round: number;
  /** Tries per job and the first retry's delay (ms), as submitted. */
  readonly attempts: number;
  readonly backoffMs: number;
}

/** The jobs of one round and their ids. */
export interface RoundJobs {
  readonly round: number;
  readonly shardIds: readonly string[];
  readonly shardJobs: readonly QueueJobData[];
  readonly mergeId: string;
  readonly mergeJob: QueueJobData;
}

/** The plan a merge of `round` writes, which round + 1 (extra pass `round`) runs: `DIR/plan-ROUND.state`. */
export function planPath(runDir: string, round: number): string {
  return `${runDir}/plan-${round}.state`;
}

/** Shard `index`'s state file of `round` (round 1: the map step's `shard-i-of-N.state`; round K+1: `pass-K-shard-i-of-N.state`). */
export function shardStatePath(runDir: string, round: number, index: number, shards: number): string {
  return round === 1 ? `${runDir}/states/shard-${index}-of-${shards}.state` : `${runDir}/states/pass-${round - 1}-shard-${index}-of-${shards}.state`;
}

/** The job id of shard `index` of `round`, and of its merge. */
export function roundJobId(runId: string, round: number, what: number | 'merge'): string {
  const part = what === 'merge' ? 'merge' : `shard-${what}`;
  return round === 1 ? `${runId}-${part}` : `${runId}-pass-${round - 1}-${part}`;
}

/**
 * The jobs of `rounds.round`, run in `cwd` with each attempt limited to `timeoutS` seconds when
 * given. Its merge writes the plan of the next round (but the last of {@link MAX_ROUNDS}).
 *
 * @example roundJobs({ runId: 'r1', runDir: '/s/run', shards: 2, shardArgs: ['--input', 'p/*.arrow', '--pred', 'p', '--target', 'y'], mergeArgs: ['--json'], round: 2, attempts: 3, backoffMs: 5000 }, '/home/me', undefined)
 * // shard 0: eval --input p/*.arrow --pred p --target y --shard 0/2 --pass /s/run/plan-1.state --state-out /s/run/states/pass-1-shard-0-of-2.state
 * // merge:   eval merge /s/run/states/pass-1-shard-{0,1}-of-2.state --json --next-pass-out /s/run/plan-2.state
 */
export function roundJobs(rounds: EvalRounds, cwd: string, timeoutS: number | undefined): RoundJobs {
  const { runId, runDir, shards, round } = rounds;
  const n = String(shards);
  const limit = timeoutS === undefined ? {} : { timeoutS };
  const pass = round === 1 ? [] : ['--pass', planPath(runDir, round - 1)];
  const shardJobs: QueueJobData[] = Array.from({ length: shards }, (_, i) => ({
    v: 1,
    step: 'shard',
    argv: ['eval', ...rounds.shardArgs, '--shard', `${i}/${n}`, ...pass, '--state-out', shardStatePath(runDir, round, i, shards)],
    cwd,
    shard: { index: i, count: shards },
    ...limit,
  }));
  const next = round < MAX_ROUNDS ? ['--next-pass-out', planPath(runDir, round)] : [];
  const mergeJob: QueueJobData = {
    v: 1,
    step: 'final',
    argv: ['eval', 'merge', ...Array.from({ length: shards }, (_, i) => shardStatePath(runDir, round, i, shards)), ...rounds.mergeArgs, ...next],
    cwd,
    ...limit,
    rounds,
  };
  return {
    round,
    shardIds: Array.from({ length: shards }, (_, i) => roundJobId(runId, round, i)),
    shardJobs,
    mergeId: roundJobId(runId, round, 'merge'),
    mergeJob,
  };
}

function refuseRounds(why: string): never {
  throw new InputError(`queue job refused: rounds: ${why}`);
}

const isStrings = (x: unknown, max: number): x is string[] =>
  Array.isArray(x) && x.length <= max && x.every((a) => typeof a === 'string' && a.length <= 65_536 && !a.includes('\0'));
const isInt = (x: unknown, min: number, max: number): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= min && x <= max;

/**
 * Checks a merge job's `rounds` field (from the queue: anyone who can write to it wrote it) and
 * returns it typed; the jobs built from it are checked against the whitelist again before they
 * are added.
 * @throws {InputError} `queue job refused: rounds: …`.
 */
export function checkRounds(x: unknown): EvalRounds {
  if (typeof x !== 'object' || x === null) refuseRounds('not an object');
  const r = x as Partial<Record<keyof EvalRounds, unknown>>;
  if (typeof r.runId !== 'string' || !/^[A-Za-z0-9_-]{1,80}$/.test(r.runId)) refuseRounds(`runId must be 1-80 letters, digits, '_' or '-', got ${JSON.stringify(r.runId)}`);
  if (typeof r.runDir !== 'string' || !r.runDir.startsWith('/') || r.runDir.includes('\0')) refuseRounds(`runDir must be an absolute path, got ${JSON.stringify(r.runDir)}`);
  if (!isInt(r.shards, 1, 1 << 20)) refuseRounds(`shards must be a whole number from 1 to ${1 << 20}, got ${JSON.stringify(r.shards)}`);
  if (!isStrings(r.shardArgs, 10_000) || !isStrings(r.mergeArgs, 100)) refuseRounds('shardArgs and mergeArgs must be lists of strings');
  if (!isInt(r.round, 1, MAX_ROUNDS)) refuseRounds(`round must be a whole number from 1 to ${MAX_ROUNDS}, got ${JSON.stringify(r.round)}`);
  if (!isInt(r.attempts, 1, 1_000_000) || !isInt(r.backoffMs, 0, 2 ** 31 - 1)) refuseRounds('attempts and backoffMs must be whole numbers');
  return { runId: r.runId, runDir: r.runDir, shards: r.shards, shardArgs: r.shardArgs, mergeArgs: r.mergeArgs, round: r.round, attempts: r.attempts, backoffMs: r.backoffMs };
}
