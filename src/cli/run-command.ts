/**
 * Runs one `fuseflow` command: loads its module, runs it, and turns a FuseflowError (bad input,
 * a refused output, …) into its message on stderr and exit code 1. Shared by the CLI's command
 * table (main.ts) and the bundled eval start (eval-entry.ts), so both report errors alike.
 */
import { FuseflowError } from '../core/errors.js';

/** A command module: `run(args)` resolves to the exit code. */
export interface CommandModule {
  run(args: readonly string[]): Promise<number>;
}

/** Loads and runs command `name` with `args`; returns the exit code. */
export async function runCommand(name: string, load: () => Promise<CommandModule>, args: readonly string[]): Promise<number> {
  try {
    const mod = await load();
    return await mod.run(args);
  } catch (err) {
    if (err instanceof FuseflowError) {
      console.error(`fuseflow ${name}: ${err.message}`);
      return 1;
    }
    throw err;
  }
}
