/**
 * The process a worker starts for one queue job: checks the command line against the whitelist
 * once more, moves to the job's folder, runs the fuseflow CLI's main() on it and exits with its
 * code. It ends itself as soon
 * as the worker that started it is gone (its stdin, a pipe from the worker, closes; or its parent
 * process changes), so a SIGKILLed worker leaves no shard running beside the one another worker
 * redoes.
 *
 * argv: node job-child.js JOB_JSON ALLOWED_MODULES_JSON
 */
import type { Socket } from 'node:net';
import { FuseflowError } from '../../core/errors.js';
import { main } from '../main.js';
import { checkJob } from './job-line.js';

/** Exit code when the worker went away (as a shell reports SIGKILL). */
const ORPHANED = 137;

function watchParent(): void {
  const stdin = process.stdin as Socket;
  stdin.on('end', () => process.exit(ORPHANED));
  stdin.on('close', () => process.exit(ORPHANED));
  stdin.on('error', () => process.exit(ORPHANED));
  stdin.resume();
  stdin.unref();
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(ORPHANED);
  }, 500).unref();
}

async function runChild(): Promise<number> {
  watchParent();
  const [jobText, modulesText] = process.argv.slice(2);
  let job;
  try {
    job = checkJob(JSON.parse(jobText ?? 'null'), { allowModules: JSON.parse(modulesText ?? '[]') as string[] });
  } catch (err) {
    console.error(err instanceof FuseflowError ? err.message : `queue job: unreadable job: ${String(err)}`);
    return 2;
  }
  process.chdir(job.cwd);
  return main(job.argv);
}

process.exitCode = await runChild();
