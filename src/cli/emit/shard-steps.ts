/**
 * The two steps of a sharded fuseflow run as POSIX shell text, shared by the Slurm script and
 * the Kubernetes manifests: the shard step (one per index, `$i` holding it) and the final step
 * that commits or merges. `cache-fill`: `fuseflow cache fill … --shards N --index $i`, then
 * `fuseflow cache commit TO`. `eval`: `fuseflow eval … --shard $i/N --state-out
 * RUN/states/shard-$i-of-N.state` (skipped when that state exists: a rerun redoes only the
 * missing shards), then `fuseflow eval merge` of all N states in index order, its output written
 * to `RUN/result.json` (`--json`) or `RUN/result.txt` through a temporary file and a rename.
 */
import { OptionsError } from '../../core/errors.js';
import { splitEvalArgs } from '../commands/eval-split.js';
import type { EmitRequest } from './emit-request.js';
import { shellLine, shellQuote, type ShellWord } from './shell-words.js';

/** The shell text of both steps. */
export interface ShardSteps {
  /** Lines run for shard `$i` (the caller sets `i`). */
  readonly shard: readonly string[];
  /** Lines of the commit / merge step, run once after every shard succeeded. */
  readonly final: readonly string[];
  /** What the final step is, in a word: `commit` or `merge`. */
  readonly finalName: 'commit' | 'merge';
  /** Folders the run needs before its jobs start. */
  readonly folders: readonly string[];
  /** The file holding the run's result, if the final step writes one. */
  readonly result: string | undefined;
}

/** The value of `--name V` or `--name=V` in `args` (the last one), or undefined. */
function flagValue(args: readonly string[], name: string): string | undefined {
  let found: string | undefined;
  args.forEach((a, i) => {
    if (a === name) found = args[i + 1];
    else if (a.startsWith(`${name}=`)) found = a.slice(name.length + 1);
  });
  return found;
}

function refuse(args: readonly string[], names: readonly string[], kind: string): void {
  for (const name of names) {
    if (args.some((a) => a === name || a.startsWith(`${name}=`))) throw new OptionsError(`${name} is set by \`fuseflow emit … ${kind}\` for each shard; leave it out`);
  }
}

/** A shell function line so that `fuseflow …` in the steps runs the user's `--fuseflow` command. */
export function fuseflowFunction(command: string): string[] {
  if (command === 'fuseflow') return [];
  const body = command.split(/\s+/)[0] === 'fuseflow' ? `command ${command}` : command;
  return [`fuseflow() { ${body} "$@"; }`];
}

function cacheFillSteps(req: EmitRequest): ShardSteps {
  refuse(req.passthrough, ['--index', '--shards'], 'cache-fill');
  const to = flagValue(req.passthrough, '--to');
  if (to === undefined || to === '') throw new OptionsError('cache-fill needs --to SHARED_DIR (the shared folder the shards are published to, then committed)');
  const threads = req.cpusPerTask !== undefined && flagValue(req.passthrough, '--threads') === undefined ? ['--threads', String(req.cpusPerTask)] : [];
  const shard: ShellWord[] = ['fuseflow', 'cache', 'fill', ...req.passthrough, ...threads, '--shards', String(req.shards), '--index', { shell: '"$i"' }];
  return {
    shard: [shellLine(shard)],
    final: [shellLine(['fuseflow', 'cache', 'commit', to])],
    finalName: 'commit',
    folders: [`${req.runDir}/logs`],
    result: undefined,
  };
}

function evalSteps(req: EmitRequest): ShardSteps {
  refuse(req.passthrough, ['--shard', '--state-out'], 'eval');
  const split = splitEvalArgs(req.passthrough);
  const shardArgs = [...split.shardArgs];
  const mergeArgs = split.mergeArgs;
  if (req.cpusPerTask !== undefined && flagValue(shardArgs, '--threads') === undefined) shardArgs.push('--threads', String(req.cpusPerTask));
  const n = String(req.shards);
  const states = `${req.runDir}/states`;
  const state = `${shellQuote(states)}/shard-"$i"-of-${n}.state`;
  const result = `${req.runDir}/result.${mergeArgs.includes('--json') ? 'json' : 'txt'}`;
  const shard = [
    `state=${state}`,
    'if [ -f "$state" ]; then',
    `  echo "shard $i of ${n}: $state exists (written by an earlier run); skipped" >&2`,
    'else',
    `  ${shellLine(['fuseflow', 'eval', ...shardArgs, '--shard', { shell: `"$i/${n}"` }, '--state-out', { shell: '"$state"' }])}`,
    'fi',
  ];
  const final = [
    `set --; k=0; while [ "$k" -lt ${n} ]; do set -- "$@" ${shellQuote(states)}/shard-"$k"-of-${n}.state; k=$((k + 1)); done`,
    `${shellLine(['fuseflow', 'eval', 'merge', { shell: '"$@"' }, ...mergeArgs])} > ${shellQuote(`${result}.tmp`)}`,
    `mv -f ${shellQuote(`${result}.tmp`)} ${shellQuote(result)}`,
    `echo "merged ${n} shards into ${result}" >&2`,
  ];
  return { shard, final, finalName: 'merge', folders: [`${req.runDir}/logs`, states], result };
}

/** The steps of `req.kind`. @throws {OptionsError} for a flag emit sets itself, or a missing `--to`. */
export function shardSteps(req: EmitRequest): ShardSteps {
  return req.kind === 'cache-fill' ? cacheFillSteps(req) : evalSteps(req);
}
