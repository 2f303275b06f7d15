/**
 * Test helper: a copy of the fuseflow package in a temporary folder — package.json, bin/, dist/
 * compiled from this checkout's sources, node_modules linked — with its eval bundle built
 * (`dist/eval-bundle/`), so tests can run `fuseflow eval` through the bundled start and alter
 * the copy (a stale manifest, a changed module) without touching the checkout's own dist/.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The checkout's root (test/cli/../..). */
export const CHECKOUT = resolve(import.meta.dirname, '..', '..');

/**
 * Builds the package copy in `dir` (which must exist): tsc into `dir/dist`, then the bundle.
 * @throws Error with the compiler's or bundler's output when either produced nothing.
 */
export function buildBundledPackage(dir: string): void {
  copyFileSync(join(CHECKOUT, 'package.json'), join(dir, 'package.json'));
  mkdirSync(join(dir, 'bin'), { recursive: true });
  copyFileSync(join(CHECKOUT, 'bin', 'fuseflow.js'), join(dir, 'bin', 'fuseflow.js'));
  symlinkSync(join(CHECKOUT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const tsc = spawnSync(
    process.execPath,
    [join(CHECKOUT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(CHECKOUT, 'tsconfig.build.json'), '--outDir', join(dir, 'dist')],
    {
      encoding: 'utf8',
    },
  );
  // A type error elsewhere in the checkout still emits; what matters is that the eval entry was compiled.
  if (!existsSync(join(dir, 'dist', 'cli', 'eval-entry.js'))) throw new Error(`tsc built no dist/cli/eval-entry.js: ${tsc.stdout}${tsc.stderr}`);
  const bundle = spawnSync(process.execPath, [join(dir, 'dist', 'cli', 'bundle', 'build-eval-bundle.js')], { encoding: 'utf8' });
  if (bundle.status !== 0 || !existsSync(join(dir, 'dist', 'eval-bundle', 'manifest.json'))) throw new Error(`the eval bundle was not built: ${bundle.stdout}${bundle.stderr}`);
}

/** What one `node dir/bin/fuseflow.js …` run returned and printed. */
export interface BinRun {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

/** Runs the package copy's `bin/fuseflow.js` with `argv` (and `env` added to this process's). */
export function runBin(dir: string, argv: readonly string[], env: Readonly<Record<string, string>> = {}): BinRun {
  const run = spawnSync(process.execPath, [join(dir, 'bin', 'fuseflow.js'), ...argv], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

// `npx tsx test/cli/bundled-package.ts DIR`: builds a package copy in DIR, for
// `FUSEFLOW_TEST_EVAL_BUNDLE=DIR npx vitest run test/cli/eval*.test.ts` (the eval tests through the bundle).
if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.dirname, 'bundled-package.ts')) {
  const dir = resolve(process.argv[2] ?? '');
  mkdirSync(dir, { recursive: true });
  buildBundledPackage(dir);
  process.stdout.write(`${dir}\n`);
}
