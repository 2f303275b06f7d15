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

/** The value of `--name V` or `--name=V` among a command's passed-through arguments (the last one), or undefined. */
export function passedFlagValue(args: readonly string[], name: string): string | undefined {
  let found: string | undefined;
  args.forEach((a, i) => {
    if (a === name) found = args[i + 1];
    else if (a.startsWith(`${name}=`)) found = a.slice(name.length + 1);
  });
  return found;
}

/**
 * Refuses passed-through flags that a sharding command (`by`, e.g. `fuseflow submit eval`) sets
 * itself for each shard.
 * @throws {OptionsError} naming the first such flag given.
 */
export function refuseShardFlags(args: readonly string[], names: readonly string[], by: string): void {
  for (const name of names) if (args.some((a) => a === name || a.startsWith(`${name}=`))) throw new OptionsError(`${name} is set by \`${by}\` for each shard; leave it out`);
}
