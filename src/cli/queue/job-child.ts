/**
 * The process a worker starts for one queue job. It reads the job (one JSON line) and the
 * worker's allowed modules (a second JSON line) from its stdin — a pipe, not argv, which caps one
 * argument at 128 KiB while a merge of 4,096 shards names more — checks the command line against
 * the whitelist once more, moves to the job's folder, runs the fuseflow CLI's main() on it and
 * exits with its code. It ends itself as soon as the worker that started it is gone (the pipe
 * closes, or its parent process changes), so a SIGKILLed worker leaves no shard running beside
 * the one another worker redoes.
 */
import type { Socket } from 'node:net';
import { FuseflowError } from '../../core/errors.js';
import { main } from '../main.js';
import { checkJob, type CheckedJob } from './job-line.js';

/** Exit code when the worker went away (as a shell reports SIGKILL). */
const ORPHANED = 137;
/** Bound on the two lines read from the worker. */
const MAX_INPUT = 64 * 2 ** 20;

/** Resolves with the first two lines of stdin; then keeps watching it and exits when it closes. */
function readJobAndWatch(): Promise<[string, string]> {
  const stdin = process.stdin as Socket;
  let text = '';
  let lines: [string, string] | undefined;
  const orphaned = (): void => process.exit(ORPHANED);
  stdin.on('error', orphaned);
  stdin.on('close', orphaned);
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) orphaned();
  }, 500).unref();
  return new Promise((resolve, reject) => {
    stdin.on('end', () => (lines === undefined ? reject(new Error('the worker closed the pipe before sending the job')) : orphaned()));
    stdin.on('data', (d: Buffer) => {
      if (lines !== undefined) return;
      text += d.toString();
      if (text.length > MAX_INPUT) reject(new Error(`the job is longer than ${MAX_INPUT} bytes`));
      const parts = text.split('\n');
      if (parts.length < 3) return;
      lines = [parts[0] as string, parts[1] as string];
      stdin.unref(); // keep watching for the close, without keeping the process alive
      resolve(lines);
    });
  });
}

async function runChild(): Promise<number> {
  let job: CheckedJob;
  try {
    const [jobText, modulesText] = await readJobAndWatch();
    job = checkJob(JSON.parse(jobText), { allowModules: JSON.parse(modulesText) as string[] });
  } catch (err) {
    console.error(err instanceof FuseflowError ? err.message : `queue job: unreadable job: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
  process.chdir(job.cwd);
  return main(job.argv);
}

process.exitCode = await runChild();
