/**
 * `fuseflow worker --queue redis://HOST:PORT`: takes the jobs `fuseflow submit` put on the queue
 * and runs them, each in a child process (src/cli/queue/run-job.ts says why), after checking that
 * the job is a whitelisted fuseflow command line (src/cli/queue/job-line.ts). A job that fails
 * is retried by BullMQ (the submitter's --attempts/--backoff); bad usage (exit 2) and refused jobs
 * are not retried. A worker that dies mid-job (SIGKILL, a lost machine) stops renewing the job's
 * lock; after --lock-ms another worker's stalled-job check puts it back on the queue and it is
 * redone. Shard commands are idempotent (published by rename, state files written atomically),
 * so the redo leaves the same result and nothing twice. A job that runs past its time limit
 * (`--job-timeout`, capping the run's own `submit --job-timeout`) is stopped — its whole process
 * group, SIGTERM then SIGKILL — and fails like any other job, to be retried; a stopped shard has
 * written nothing under its output's name (only a temporary file beside it, which no merge reads).
 */
import { FlowProducer, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { OptionsError } from '../../core/errors.js';
import { shellLine } from '../emit/shell-words.js';
import { checkJob, MAX_JOB_TIMEOUT_S, type CheckedJob } from '../queue/job-line.js';
import { checkPrefix, queueConnection, QUEUE_NAME } from '../queue/queue-url.js';
import { addNextRound, type NextRound } from '../queue/next-round.js';
import { countOf, jobLimit, KILL_GRACE_MS, startJob, stopJob, type JobOutcome } from '../queue/run-job.js';
import { parseOrExit } from './parse-or-exit.js';

const USAGE = `usage: fuseflow worker --queue redis://HOST:PORT [options]

Runs the jobs 'fuseflow submit' puts on the queue: shard jobs (fuseflow cache fill … --index i,
fuseflow eval … --shard i/N [--pass PLAN] --state-out F) and the commit / merge job after them,
each in a child process in the submitter's folder (workers must share its filesystem). Only those
fuseflow command lines are run; any other job is refused (and failed, not retried). An eval merge
that plans another refinement round (it wrote its --next-pass-out plan) has this worker add that
round's jobs (ids fixed by run and round: a retried merge adds nothing twice). cache fill jobs import
the dataset module: they run only for modules named by --allow-module.

  --queue URL          redis://[USER:PASSWORD@]HOST:PORT[/DB] (or rediss://)
  --prefix P           key prefix in Redis (default fuseflow), as given to submit
  --concurrency C      jobs at once (default 1)
  --allow-module PATH  a dataset module file, or a folder of them, that cache fill jobs may
                       import (repeatable; default none: cache fill jobs are refused)
  --lock-ms MS         a job's lock, renewed every MS/2 while it runs; a worker gone for MS is
                       presumed dead and its job is redone by another worker (default 30000)
  --max-stalled K      a job whose worker died more than K times fails (default 2)
  --job-timeout S      the longest one attempt of a job may run, in seconds, and the cap on a
                       run's own 'submit --job-timeout'; a job past it is stopped (its processes
                       get SIGTERM, then SIGKILL after ${KILL_GRACE_MS / 1000} s), fails naming the limit,
                       and is retried per the run's --attempts (default: no limit of its own)
  --once               run one job, then exit
  --exit-when-idle     exit when the queue holds no job waiting, delayed, active or waiting
                       for its shards (for batch use; start it after submit)

SIGTERM / SIGINT: take no new job, finish the running ones, exit. A second signal stops the
running jobs at once; their locks expire and other workers redo them.

A worker whose queue cannot be reached keeps trying (and says so) until it can, or is stopped.

exit codes: 0 stopped as asked, 1 the queue refused the worker, 2 usage`;

/** What a job returns to the queue (read by the submitter). */
export interface JobResult {
  /** Ids (cache fill) or rows (eval shard) the shard reported, when it did. */
  readonly count: number | undefined;
  readonly unit: CheckedJob['unit'];
  readonly seconds: number;
  /** The command's stdout (the merge's output; a shard's summary line). */
  readonly stdout: string;
  /** An eval merge that planned another refinement round: the round it added (the merge printed nothing). */
  readonly next?: NextRound;
}

interface WorkerArgs {
  readonly queue: string;
  readonly prefix: string;
  readonly concurrency: number;
  readonly allowModules: readonly string[];
  readonly lockMs: number;
  readonly maxStalled: number;
  readonly once: boolean;
  readonly exitWhenIdle: boolean;
  /** `--job-timeout`: the cap on one attempt of a job, in seconds. */
  readonly jobTimeoutS: number | undefined;
}

function parseWorkerArgs(args: readonly string[]): WorkerArgs {
  const values = new Map<string, string>();
  const allowModules: string[] = [];
  const switches = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--once' || a === '--exit-when-idle') {
      switches.add(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    if (!['--queue', '--prefix', '--concurrency', '--allow-module', '--lock-ms', '--max-stalled', '--job-timeout'].includes(name)) throw new OptionsError(`unknown option '${a}'`);
    const value = name === a ? args[++i] : a.slice(eq + 1);
    if (value === undefined || value === '') throw new OptionsError(`${name} needs a value`);
    if (name === '--allow-module') allowModules.push(value);
    else if (values.has(name)) throw new OptionsError(`${name} is given twice`);
    else values.set(name, value);
  }
  const int = (flag: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const raw = values.get(flag);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max)
      throw new OptionsError(`${flag} must be an integer ${max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`}, got '${raw}'`);
    return Number(raw);
  };
  const queue = values.get('--queue');
  if (queue === undefined) throw new OptionsError('--queue redis://HOST:PORT is required');
  queueConnection(queue); // refuse a bad URL now
  const once = switches.has('--once');
  const concurrency = int('--concurrency', 1, 1);
  if (once && concurrency > 1) throw new OptionsError('--once runs one job: leave out --concurrency');
  return {
    queue,
    prefix: checkPrefix(values.get('--prefix') ?? 'fuseflow'),
    concurrency,
    allowModules: allowModules.map((m) => resolve(m)),
    lockMs: int('--lock-ms', 30_000, 1000),
    maxStalled: int('--max-stalled', 2, 0),
    once,
    exitWhenIdle: switches.has('--exit-when-idle'),
    jobTimeoutS: values.has('--job-timeout') ? int('--job-timeout', 0, 1, MAX_JOB_TIMEOUT_S) : undefined,
  };
}

/** The last `n` non-empty lines of `text`, joined by ' | ' (an error message on one line). */
function lastLines(text: string, n = 6): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .slice(-n)
    .join(' | ');
}

/** A command line for a message: at most 400 characters (a merge may name 4,096 files). */
function shortLine(argv: readonly string[]): string {
  const line = shellLine(argv);
  return line.length <= 400 ? line : `${line.slice(0, 400)}… (${argv.length} words)`;
}

const log = (line: string): void => {
  process.stderr.write(`fuseflow worker: ${line}\n`);
};

async function work(a: WorkerArgs): Promise<number> {
  const connection = queueConnection(a.queue);
  const running = new Set<ChildProcess>();
  let worker: Worker | undefined = undefined;
  let taken = 0;
  let stopRequested = (): void => undefined;
  const stopped = new Promise<'stopped'>((r) => (stopRequested = () => r('stopped')));
  const stop = (): void => {
    stopRequested();
    void worker?.close();
  };
  // For adding the next refinement round of an eval run (made when first needed).
  let flow: FlowProducer | undefined;
  let roundsQueue: Queue | undefined;
  const processor = async (job: Job): Promise<JobResult> => {
    taken += 1;
    if (a.once) stop(); // no next job is fetched once closing
    let checked: CheckedJob;
    try {
      checked = checkJob(job.data, { allowModules: a.allowModules });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log(`job ${job.id ?? ''}: ${message}`);
      throw new UnrecoverableError(message);
    }
    const what = checked.shard === undefined ? checked.form : `shard ${checked.shard.index}/${checked.shard.count}`;
    log(`job ${job.id ?? ''} (${what}, attempt ${job.attemptsMade + 1}/${job.opts.attempts ?? 1}) started: fuseflow ${shellLine(checked.argv)}`);
    const tag = `[${job.id ?? ''}] `;
    const started = startJob(checked, a.allowModules, (text) => process.stderr.write(text.replace(/^(?=.)/gm, tag)));
    running.add(started.child);
    const limit = jobLimit(a.jobTimeoutS, checked.timeoutS);
    let stopping: Promise<JobOutcome> | undefined;
    const timer =
      limit === undefined
        ? undefined
        : setTimeout(() => {
            log(`job ${job.id ?? ''} (${what}) ran past its ${limit.seconds} s limit: stopping it (SIGTERM, SIGKILL after ${KILL_GRACE_MS / 1000} s)`);
            stopping = stopJob(started, KILL_GRACE_MS);
          }, limit.seconds * 1000);
    let outcome: JobOutcome;
    try {
      outcome = await started.done;
      if (stopping !== undefined) outcome = await stopping;
    } finally {
      clearTimeout(timer);
      running.delete(started.child);
    }
    // (A job that exited 0 just as its limit came had finished its work: it counts as done.)
    if (stopping !== undefined && limit !== undefined && outcome.code !== 0) {
      const why = `job ${job.id ?? ''} (${what}) ran past its time limit of ${limit.seconds} s (${limit.setBy}) and was stopped (${outcome.signal ?? `exit ${outcome.code ?? '?'}`}): fuseflow ${shortLine(checked.argv)}`;
      log(`job ${job.id ?? ''} (${what}) failed: ${why}`);
      throw new Error(why);
    }
    if (outcome.code === 0 && !outcome.truncated) {
      if (checked.step === 'shard') process.stderr.write(outcome.stdout.slice(-4096).replace(/^(?=.)/gm, tag));
      let next: NextRound | undefined;
      if (checked.rounds !== undefined) {
        flow ??= new FlowProducer({ connection, prefix: a.prefix });
        roundsQueue ??= new Queue(QUEUE_NAME, { connection, prefix: a.prefix });
        next = await addNextRound(checked, roundsQueue, flow, { allowModules: a.allowModules });
        if (next !== undefined)
          log(
            `job ${job.id ?? ''} (${what}): round ${next.round} needed (${next.passes.join('; ')}): ${next.added ? 'added' : 'already in the queue:'} ${next.shardIds.length} pass shard jobs and ${next.mergeId}`,
          );
      }
      log(`job ${job.id ?? ''} (${what}) done in ${outcome.seconds.toFixed(1)} s`);
      return {
        count: countOf(checked, outcome),
        unit: checked.unit,
        seconds: outcome.seconds,
        stdout: checked.step === 'final' ? outcome.stdout : outcome.stdout.slice(-4096),
        ...(next === undefined ? {} : { next }),
      };
    }
    const why =
      outcome.code === 0
        ? `its output is larger than the ${8} MiB a job may return`
        : `exit ${outcome.code ?? outcome.signal ?? '?'}: ${lastLines(outcome.stderrTail) || '(no message)'}`;
    log(`job ${job.id ?? ''} (${what}) failed: ${why}`);
    if (outcome.code === 2) throw new UnrecoverableError(why);
    throw new Error(why);
  };
  worker = new Worker(QUEUE_NAME, processor, {
    connection,
    prefix: a.prefix,
    concurrency: a.concurrency,
    lockDuration: a.lockMs,
    stalledInterval: Math.max(500, Math.floor(a.lockMs / 2)),
    maxStalledCount: a.maxStalled,
    autorun: false,
  });
  worker.on('error', (err) => log(`queue error: ${err.message}`));
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals === 1) {
      log(`${signal}: finishing ${running.size} running job${running.size === 1 ? '' : 's'}, taking no new one (send again to stop them now)`);
      stop();
      return;
    }
    log(`${signal} again: stopping ${running.size} running job${running.size === 1 ? '' : 's'}; other workers redo them once their locks expire`);
    for (const child of running)
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL'); // the job's process group
      } catch {
        // already gone
      }
    process.exit(130);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  let idleTimer: NodeJS.Timeout | undefined;
  const queue = a.exitWhenIdle ? new Queue(QUEUE_NAME, { connection, prefix: a.prefix }) : undefined;
  if (queue !== undefined) {
    idleTimer = setInterval(() => {
      if (running.size > 0) return;
      void queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'paused').then(
        (counts) => {
          const left = Object.values(counts).reduce((s, c) => s + c, 0);
          if (left === 0 && running.size === 0) {
            log('the queue is empty; exiting (--exit-when-idle)');
            stop();
          }
        },
        (err: unknown) => log(`queue error: ${err instanceof Error ? err.message : String(err)}`),
      );
    }, 1000);
  }
  try {
    // A signal before the queue answered stops the worker here (close() would wait for Redis).
    if ((await Promise.race([worker.waitUntilReady().then(() => 'ready' as const), stopped])) === 'stopped') {
      log('stopped before the queue answered');
      // BullMQ's close/disconnect wait for a connection that never came; nothing runs, so end here.
      process.exit(0);
    }
  } catch (err) {
    console.error(`fuseflow worker: cannot reach the queue at ${a.queue}: ${err instanceof Error ? err.message : String(err)}`);
    if (idleTimer !== undefined) clearInterval(idleTimer);
    await queue?.close();
    await worker.close(true);
    return 1;
  }
  log(`waiting for jobs on ${a.queue} (prefix ${a.prefix}, concurrency ${a.concurrency}, lock ${a.lockMs} ms)`);
  await worker.run();
  if (idleTimer !== undefined) clearInterval(idleTimer);
  await queue?.close();
  await roundsQueue?.close();
  await flow?.close();
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  log(`stopped after ${taken} job${taken === 1 ? '' : 's'}`);
  return 0;
}

export function run(args: readonly string[]): Promise<number> {
  const parsed = parseOrExit(args, { command: 'worker', usage: USAGE, parse: parseWorkerArgs });
  if ('exit' in parsed) return Promise.resolve(parsed.exit);
  return work(parsed.args);
}
