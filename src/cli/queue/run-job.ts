/**
 * Runs one checked queue job in a child process (src/cli/queue/job-child.ts): the fuseflow CLI on
 * the job's command line, in the job's folder. A child, not the worker's own thread, because
 * (1) a crash, an out-of-memory kill or a native fault ends only the child and the job fails
 * and is retried, while the worker lives on; (2) the worker's event loop stays free to renew the
 * job's BullMQ lock, however long and CPU-bound the shard — an in-process shard could starve the
 * renewal and BullMQ would hand the running shard to a second worker; (3) every job starts from
 * a clean process (no state left over from the last one). The child ends itself when the
 * worker dies, so a killed worker's shard is not run twice at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CheckedJob } from './job-line.js';

/** What a finished child left. */
export interface JobOutcome {
  /** Exit code, or null when a signal ended it. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Its stdout (at most {@link MAX_STDOUT} bytes kept; `truncated` says when more came). */
  readonly stdout: string;
  readonly truncated: boolean;
  /** The last {@link STDERR_TAIL} characters of its stderr. */
  readonly stderrTail: string;
  readonly seconds: number;
}

/** Bound on the stdout kept (the merge's JSON or table is far smaller). */
export const MAX_STDOUT = 8 * 2 ** 20;
/** Bound on the stderr tail kept for the job's error message. */
export const STDERR_TAIL = 16_384;

/** The child's entry: the compiled .js beside this file, or the .ts when running from sources. */
function childEntry(): string {
  const js = fileURLToPath(new URL('./job-child.js', import.meta.url));
  return existsSync(js) ? js : fileURLToPath(new URL('./job-child.ts', import.meta.url));
}

/** A started job: its process and the promise of its outcome. */
export interface RunningJob {
  readonly child: ChildProcess;
  readonly done: Promise<JobOutcome>;
}

/**
 * Starts `job` (checked again by the child itself) with the worker's node flags (e.g. tsx's
 * loader). `onStderr` gets the child's stderr as it comes, for the worker's log.
 */
export function startJob(job: CheckedJob, allowModules: readonly string[], onStderr: (text: string) => void): RunningJob {
  const started = performance.now();
  const payload = JSON.stringify({ v: job.v, step: job.step, argv: job.argv, cwd: job.cwd, ...(job.shard === undefined ? {} : { shard: job.shard }) });
  // Started in the worker's folder (so node flags such as `--import tsx` resolve as they did for
  // the worker); the child moves to the job's folder itself. In a process group of its own, so a
  // Ctrl-C in the worker's terminal reaches the worker (which lets the job finish), not the job.
  const child = spawn(process.execPath, [...process.execArgv, childEntry()], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  // The job goes through the pipe (argv caps one argument at 128 KiB); the pipe then stays open
  // for as long as the worker lives.
  child.stdin.write(`${payload}\n${JSON.stringify(allowModules)}\n`);
  const out: Buffer[] = [];
  let outBytes = 0;
  let truncated = false;
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    if (outBytes + d.length > MAX_STDOUT) truncated = true;
    else {
      out.push(d);
      outBytes += d.length;
    }
  });
  child.stderr.on('data', (d: Buffer) => {
    const text = d.toString();
    onStderr(text);
    err = (err + text).slice(-STDERR_TAIL);
  });
  child.stdin.on('error', () => undefined); // the child may exit before reading anything
  const done = new Promise<JobOutcome>((resolveDone) => {
    const finish = (code: number | null, signal: NodeJS.Signals | null): void =>
      resolveDone({ code, signal, stdout: Buffer.concat(out).toString(), truncated, stderrTail: err, seconds: (performance.now() - started) / 1000 });
    // A process that could not start reports 'error' and may never 'close': end the job as failed.
    child.on('error', (e) => {
      err += `\ncannot start ${process.execPath}: ${e.message}`;
      if (child.pid === undefined) finish(127, null);
    });
    child.on('close', finish);
  });
  return { child, done };
}

/** How many ids (cache fill) or rows (eval shard) a finished shard reports, when it says. */
export function countOf(job: CheckedJob, outcome: JobOutcome): number | undefined {
  if (job.unit === 'rows') {
    // `…: 12,345 rows from FILES → F` (map step) or `…: round 2 (…): 12,345 rows → F` (a pass shard).
    const m = /: (\d[\d,]*) rows (?:from |→ )/.exec(outcome.stderrTail);
    return m === null ? undefined : Number((m[1] as string).replaceAll(',', ''));
  }
  if (job.unit === 'ids') {
    const m = /: (\d+) ids \(/.exec(outcome.stdout);
    return m === null ? undefined : Number(m[1]);
  }
  return undefined;
}

/** How long a job's processes get between SIGTERM and SIGKILL when its time limit is reached. */
export const KILL_GRACE_MS = 10_000;

/** The time limit one attempt of a job runs under, and who set it (for the failure message). */
export interface JobLimit {
  readonly seconds: number;
  /** `submit --job-timeout S` or `worker --job-timeout S` (or both, when they agree). */
  readonly setBy: string;
}

/**
 * The limit for a job: the submitter's (`job.timeoutS`), capped by the worker's `--job-timeout`;
 * `undefined` when neither set one.
 *
 * @example jobLimit(600, 30) // → { seconds: 30, setBy: 'submit --job-timeout 30; the worker allows 600' }
 */
export function jobLimit(workerS: number | undefined, jobS: number | undefined): JobLimit | undefined {
  if (jobS === undefined && workerS === undefined) return undefined;
  if (jobS === undefined) return { seconds: workerS as number, setBy: `worker --job-timeout ${workerS as number}` };
  if (workerS === undefined) return { seconds: jobS, setBy: `submit --job-timeout ${jobS}` };
  if (workerS < jobS) return { seconds: workerS, setBy: `worker --job-timeout ${workerS}, which caps the run's ${jobS}` };
  return { seconds: jobS, setBy: workerS === jobS ? `submit and worker --job-timeout ${jobS}` : `submit --job-timeout ${jobS}; the worker allows ${workerS}` };
}

/**
 * Sends `signal` to the process group led by `pid`. Never throws: a group already gone (ESRCH) is
 * what a stop wants, and the stop runs from a timer, where a throw would end the worker.
 */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: every process of the group has ended
  }
}

/**
 * Stops a running job and everything it started (its child was started as the leader of a
 * process group of its own, {@link startJob}): SIGTERM to the group, SIGKILL to the group after
 * `graceMs` if it has not ended by then, and SIGKILL once more to the group when its leader has
 * ended, for any process of it that ignored SIGTERM and outlived it. Resolves with the outcome.
 */
export async function stopJob(job: { readonly child: ChildProcess; readonly done: Promise<JobOutcome> }, graceMs: number): Promise<JobOutcome> {
  const pid = job.child.pid;
  if (pid === undefined) return job.done; // never started: 'error' ends it
  signalGroup(pid, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
  try {
    return await job.done;
  } finally {
    clearTimeout(timer);
    signalGroup(pid, 'SIGKILL');
  }
}
