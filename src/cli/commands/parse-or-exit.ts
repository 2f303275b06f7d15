/**
 * The start every `fuseflow <command>` run shares: `--help` / `-h` prints the usage (exit 0);
 * arguments the command's parser refuses print `fuseflow <command>: <why>` and the usage on
 * stderr (exit 2); otherwise the parsed arguments go on.
 */

/** The parsed arguments, or the exit code the run ends with. */
export type ParsedOrExit<A> = { readonly args: A } | { readonly exit: number };

/** What {@link parseOrExit} needs to know of the command. */
export interface ParseOrExitOptions<A> {
  /** The command's name, as the user types it after `fuseflow` (e.g. `train`). */
  readonly command: string;
  /** The usage text printed for `--help` and after a refusal. */
  readonly usage: string;
  /** Parses the arguments; a throw is bad usage. */
  readonly parse: (args: readonly string[]) => A;
}

/**
 * Handles `--help` and bad usage for a command, else returns its parsed arguments.
 *
 * @example
 * const parsed = parseOrExit(args, { command: 'train', usage: USAGE, parse });
 * if ('exit' in parsed) return parsed.exit;
 */
export function parseOrExit<A>(args: readonly string[], options: ParseOrExitOptions<A>): ParsedOrExit<A> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(options.usage);
    return { exit: 0 };
  }
  try {
    return { args: options.parse(args) };
  } catch (err) {
    console.error(`fuseflow ${options.command}: ${err instanceof Error ? err.message : String(err)}\n\n${options.usage}`);
    return { exit: 2 };
  }
}
