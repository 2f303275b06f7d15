/**
 * Reads the flags of `fuseflow eval` and `fuseflow eval seg`: `--flag value` or `--flag=value`
 * for valued flags (a value may not start with `--` unless given with `=`), stand-alone switches,
 * and `-h` as `--help`.
 */
import { OptionsError } from '../../core/errors.js';

/** The flags a command knows and what to do with a repeated valued flag. */
export interface EvalFlagsOptions {
  /** Valued flags, with their leading `--`. */
  readonly valued: ReadonlySet<string>;
  /** Stand-alone switches, with their leading `--` (`-h` always means `--help`). */
  readonly switches: ReadonlySet<string>;
  /** `'collect'` keeps every value of a repeated flag in order; `'refuse'` throws at the second. */
  readonly repeated: 'collect' | 'refuse';
  /** Usage text appended to the error for an unknown argument. */
  readonly usage: string;
}

/** The flags read. */
export interface EvalFlags {
  /** Every value of each valued flag, in the order given. */
  readonly values: Map<string, string[]>;
  /** The switches given (`-h` recorded as `--help`). */
  readonly switches: Set<string>;
}

/**
 * Reads `args` by `options`.
 *
 * @example readEvalFlags(['--ci=100', '--json'], { valued: new Set(['--ci']), switches: new Set(['--json']), repeated: 'refuse', usage })
 * // → { values: Map { '--ci' → ['100'] }, switches: Set { '--json' } }
 * @throws OptionsError for an unknown argument, a valued flag without its value, or (under `'refuse'`) a repeated flag.
 */
export function readEvalFlags(args: readonly string[], options: EvalFlagsOptions): EvalFlags {
  const values = new Map<string, string[]>();
  const switches = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (options.valued.has(flag)) {
      const value = flag !== arg ? arg.slice(eq + 1) : args[++i];
      if (value === undefined || (flag === arg && value.startsWith('--'))) throw new OptionsError(`${flag} needs a value`);
      const seen = values.get(flag);
      if (seen !== undefined && options.repeated === 'refuse') throw new OptionsError(`${flag} given twice`);
      values.set(flag, [...(seen ?? []), value]);
    } else if (options.switches.has(arg) || arg === '-h') switches.add(arg === '-h' ? '--help' : arg);
    else throw new OptionsError(`unknown argument '${arg}'\n\n${options.usage}`);
  }
  return { values, switches };
}
