/**
 * A test suite that needs a real engine (Slurm, Redis …): when the engine is missing it is
 * reported as skipped, its title naming the Debian packages to install, unless
 * FUSEFLOW_REQUIRE_ENGINES=1 (CI), under which the missing engine fails the suite.
 */
import { spawnSync } from 'node:child_process';
import { describe, it } from 'vitest';

/** Whether the engine's programs are here; `undefined` when they are, else why not. */
export type EngineCheck = () => string | undefined;

/** Whether CI asked for every engine suite to run. */
export const ENGINES_REQUIRED = process.env.FUSEFLOW_REQUIRE_ENGINES === '1';

/** The programs of `names` that are not on the PATH (nor in /usr/sbin, where daemons live). */
export function missingPrograms(names: readonly string[]): string[] {
  const path = `${process.env.PATH ?? ''}:/usr/sbin:/sbin`;
  return names.filter((n) => spawnSync('sh', ['-c', `command -v ${n}`], { env: { ...process.env, PATH: path } }).status !== 0);
}

/**
 * `describe(title, body)` when `check()` finds the engine; otherwise a skipped suite whose title
 * says what is missing and `apt-get install PACKAGES` (or, under FUSEFLOW_REQUIRE_ENGINES=1, one
 * failing test that says the same).
 *
 * @example describeEngine('Slurm eval', slurmMissing, 'slurm-wlm munge', () => { it(…) })
 */
export function describeEngine(title: string, check: EngineCheck, packages: string, body: () => void): void {
  const missing = check();
  describeOrSkip(title, missing === undefined ? undefined : `${missing}: apt-get install ${packages}`, body);
}

/**
 * `describe(title, body)` when `why` is undefined; otherwise a skipped suite whose title gives
 * `why` (what is missing and how to install it), or, under FUSEFLOW_REQUIRE_ENGINES=1, one failing
 * test that says the same.
 */
export function describeOrSkip(title: string, why: string | undefined, body: () => void): void {
  if (why === undefined) {
    describe(title, body);
    return;
  }
  if (ENGINES_REQUIRED) {
    describe(title, () => {
      it('has its engine (FUSEFLOW_REQUIRE_ENGINES=1)', () => {
        throw new Error(`${why} (FUSEFLOW_REQUIRE_ENGINES=1 makes a missing engine a failure)`);
      });
    });
    return;
  }
  console.warn(`skipped: ${title}: ${why}`);
  describe.skip(`${title} (skipped: ${why})`, body);
}
