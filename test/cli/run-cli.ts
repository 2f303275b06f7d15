/**
 * Runs the `fuseflow` command line for the CLI tests: in this process through `main` (no process
 * start-up per run, for the many refusal cases) or as a subprocess (what a user's shell runs), and
 * hands back the exit code with what it printed.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { vi } from 'vitest';
import { main } from '../../src/cli/main.js';

/**
 * `FUSEFLOW_TEST_EVAL_BUNDLE=DIR`: a package copy with its eval bundle built (bundled-package.ts);
 * the CLI tests then run `fuseflow eval` (not `eval seg`) through that bundle, in this process and
 * as a subprocess, as the installed `fuseflow` command starts it.
 */
const EVAL_BUNDLE_ROOT = process.env['FUSEFLOW_TEST_EVAL_BUNDLE'];

function throughBundle(argv: readonly string[]): boolean {
  return EVAL_BUNDLE_ROOT !== undefined && argv[0] === 'eval' && argv[1] !== 'seg';
}

/** `main`, or the bundled eval under FUSEFLOW_TEST_EVAL_BUNDLE. */
async function runMain(argv: readonly string[]): Promise<number> {
  if (EVAL_BUNDLE_ROOT === undefined || !throughBundle(argv)) return main(argv);
  const check = (await import(pathToFileURL(join(EVAL_BUNDLE_ROOT, 'dist', 'cli', 'bundle', 'eval-bundle.js')).href)) as {
    loadEvalBundle(root: string): Promise<((argv: readonly string[]) => Promise<number>) | undefined>;
  };
  const runEval = await check.loadEvalBundle(EVAL_BUNDLE_ROOT);
  if (runEval === undefined) throw new Error(`FUSEFLOW_TEST_EVAL_BUNDLE: the bundle in ${EVAL_BUNDLE_ROOT} is not current (rebuild the package copy)`);
  return runEval(argv.slice(1));
}

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
    const code = await runMain(argv);
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
    const cli = EVAL_BUNDLE_ROOT !== undefined && throughBundle(argv) ? [join(EVAL_BUNDLE_ROOT, 'bin', 'fuseflow.js')] : ['--import', 'tsx', 'src/cli/main.ts'];
    const child = spawn(process.execPath, [...cli, ...argv], { cwd: process.cwd() });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}
