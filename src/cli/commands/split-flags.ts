/**
 * Splits a command's arguments into positional words, `--name value` flags and `--name`
 * switches, as `fuseflow train` and `fuseflow predict` read them.
 */
import { OptionsError } from '../../core/errors.js';

/** The flags a command knows. */
export interface SplitFlagsOptions {
  /** Flags followed by a value (`--name value`), without the leading `--`. */
  readonly valued: ReadonlySet<string>;
  /** Flags that stand alone (`--name`), without the leading `--`. */
  readonly switches: ReadonlySet<string>;
}

/** The arguments, split. */
export interface SplitFlags {
  /** Words that do not start with `--`, in order. */
  readonly positional: readonly string[];
  /** Valued flags by name; a repeated flag keeps its last value. */
  readonly flags: Map<string, string>;
  /** The switches given. */
  readonly switches: Set<string>;
}

/**
 * Splits `args` by `options`.
 *
 * @example splitFlags(['a.csv', '--out', 'd', '--resume'], { valued: new Set(['out']), switches: new Set(['resume']) })
 * // → { positional: ['a.csv'], flags: Map { out → d }, switches: Set { resume } }
 * @throws OptionsError for an unknown `--name` or a valued flag without its value.
 */
export function splitFlags(args: readonly string[], options: SplitFlagsOptions): SplitFlags {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  const switches = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const name = a.slice(2);
    if (options.switches.has(name)) switches.add(name);
    else if (options.valued.has(name)) {
      const v = args[++i];
      if (v === undefined) throw new OptionsError(`--${name} needs a value`);
      flags.set(name, v);
    } else throw new OptionsError(`unknown option --${name}`);
  }
  return { positional, flags, switches };
}
