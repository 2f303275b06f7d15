/**
 * The entry of the bundled eval start (dist/eval-bundle/eval-entry.js, see bundle/eval-bundle.ts):
 * `fuseflow eval …` and `fuseflow eval merge …` exactly as the CLI's command table runs them.
 */
import * as evalCommand from './commands/eval.js';
import { runCommand } from './run-command.js';

/** Runs `fuseflow eval ARGV`; returns the exit code. */
export function runEvalCommand(argv: readonly string[]): Promise<number> {
  return runCommand('eval', () => Promise.resolve(evalCommand), argv);
}
