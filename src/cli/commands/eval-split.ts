/**
 * Splitting one `fuseflow eval` command line into its shard part and its merge part, for the
 * launchers that run eval as map/merge (`fuseflow emit`, `fuseflow submit`).
 */

/** eval flags that shape the output: they go to the merge step; every other flag goes to the shards. */
const MERGE_VALUED = new Set(['--report']);
const MERGE_SWITCHES = new Set(['--json', '--overwrite']);

/** The two halves of an eval command line. */
export interface EvalSplit {
  /** Flags for every shard (without `--shard`/`--state-out`, which the launcher adds). */
  readonly shardArgs: readonly string[];
  /** Flags for `fuseflow eval merge` (after its state files). */
  readonly mergeArgs: readonly string[];
}

/**
 * Splits eval's flags: `--json`, `--overwrite` and `--report FILE` go to the merge, the rest to
 * the shards. A merge that writes a report needs the shards to fold the report's metrics, so
 * `--with-report` is added to the shards when `--report` is given and it is not there yet.
 *
 * @example splitEvalArgs(['--input', 'p/*.arrow', '--json', '--report', 'r.html'])
 * // { shardArgs: ['--input', 'p/*.arrow', '--with-report'], mergeArgs: ['--json', '--report', 'r.html'] }
 */
export function splitEvalArgs(args: readonly string[]): EvalSplit {
  const shardArgs: string[] = [];
  const mergeArgs: string[] = [];
  let report = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const name = a.split('=')[0] as string;
    if (MERGE_SWITCHES.has(a)) mergeArgs.push(a);
    else if (MERGE_VALUED.has(name)) {
      report = true;
      mergeArgs.push(a);
      if (name === a && i + 1 < args.length) mergeArgs.push(args[++i] as string);
    } else shardArgs.push(a);
  }
  if (report && !shardArgs.includes('--with-report')) shardArgs.push('--with-report');
  return { shardArgs, mergeArgs };
}
