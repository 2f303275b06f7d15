/**
 * Locating worker-thread entry modules. Code runs either compiled (`dist/**.js`) or from
 * TypeScript sources (tests, `tsx`); a worker must load the same flavour as its parent. This
 * resolves `name` next to the calling module and, for `.ts` sources, asks Node to load the
 * worker through tsx. Node 20 applies `--import tsx` in a worker only to `require`, which is how
 * piscina loads its task module first; a plain `Worker` (ESM `import`) needs the tsx bootstrap
 * instead, which `startWorker` (start-worker.ts) adds.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * tsx's loader as an absolute URL (resolved only when running from sources: compiled installs
 * need no tsx), resolved from this module: a bare `--import tsx` is resolved from
 * the process's working folder, so a worker started from a folder outside the repository (a Slurm
 * job's folder, a temp folder) failed with "Cannot find package 'tsx'".
 */
function tsxUrl(): string {
  return import.meta.resolve('tsx');
}

/** Filename and Node flags to start a worker whose module sits beside `callerUrl`. */
export interface WorkerEntry {
  readonly filename: string;
  readonly execArgv: readonly string[];
  /** True when the module is TypeScript source (tests, tsx), false when compiled (`dist/**.js`). */
  readonly fromSources: boolean;
}

/**
 * Resolves worker module `name` (without extension) relative to `callerUrl` (`import.meta.url`).
 * @example const { filename, execArgv } = workerEntry(import.meta.url, './pool-worker');
 */
export function workerEntry(callerUrl: string, name: string): WorkerEntry {
  const fromTs = callerUrl.endsWith('.ts');
  const url = new URL(`${name}${fromTs ? '.ts' : '.js'}`, callerUrl);
  const filename = fileURLToPath(url);
  if (!existsSync(filename)) throw new Error(`worker module not found: ${filename}`);
  const execArgv = fromTs ? ['--import', tsxUrl()] : [];
  return { filename, execArgv, fromSources: fromTs };
}
