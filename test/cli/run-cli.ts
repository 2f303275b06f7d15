/**
 * Runs the `fuseflow` command line for the CLI tests: in this process through `main` (no process
 * start-up per run, for the many refusal cases) or as a subprocess (what a user's shell runs), and
 * hands back the exit code with what it printed.
 */
import { spawn } from 'node:child_process';
import { vi } from 'vitest';
import { main } from '../../src/cli/main.js';

/** What one run of the command line returned and printed. */
export interface CliRun {
  /** The exit code (`null` when a subprocess was ended by a signal). */
  readonly code: number | null;
  /** Everything written to stdout. */
  readonly out: string;
  /** What was written to stderr, one message a line. */
  readonly err: string;
}

/** A run in this process, which always ends with an exit code. */
export interface InProcessRun extends CliRun {
  readonly code: number;
}

/**
 * Runs `fuseflow ...argv` in this process, capturing stdout (`process.stdout.write` and
 * `console.log`) and stderr (`console.error` and `process.stderr.write`) while it runs.
 */
export async function runCli(...argv: string[]): Promise<InProcessRun> {
  let out = '';
  const err: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (out += `${a.join(' ')}\n`));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err.push(String(chunk).trimEnd());
    return true;
  });
  try {
    const code = await main(argv);
    return { code, out, err: err.join('\n') };
  } finally {
    write.mockRestore();
    log.mockRestore();
    error.mockRestore();
    stderr.mockRestore();
  }
}

/** Runs `fuseflow eval ...args` in this process (see {@link runCli}). */
export function fuseflowEval(...args: string[]): Promise<InProcessRun> {
  return runCli('eval', ...args);
}

/** Runs `fuseflow ...argv` as a subprocess (`node --import tsx src/cli/main.ts`) from this folder. */
export function runCliProcess(...argv: string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...argv], { cwd: process.cwd() });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}
