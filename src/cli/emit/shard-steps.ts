/**
 * The two steps of a sharded fuseflow run as POSIX shell text, shared by the Slurm script and
 * the Kubernetes manifests: the shard step (one per index, `$i` holding it) and the final step
 * that commits or merges. `cache-fill`: `fuseflow cache fill … --shards N --index $i`, then
 * `fuseflow cache commit TO`. `eval`: `fuseflow eval … --shard $i/N --state-out
 * RUN/states/shard-$i-of-N.state` (the step itself exits at once when the file holds this shard's
 * state of the same run — flags, inputs by size and mtime, metrics —, replaces its state of inputs
 * since changed and refuses, by name, a file of another run — never skipped on the file's mere
 * existence, which would feed a stale state to the plan); then one refinement round run by the shards (see
 * src/eval/shard/refine-round.ts): `fuseflow eval merge` of the N states `--next-pass-out
 * RUN/plan-1.state`, and per shard `fuseflow eval … --pass RUN/plan-1.state --state-out
 * RUN/states/pass-1-shard-$i-of-N.state` (the step itself exits at once when the file holds this
 * shard's pass of the same plan checksum, and replaces one of an earlier plan of the same run; no
 * input is read when the plan says no pass is needed — also when the shards' kept keys, STATE.keys
 * over float32 scores, let the plan's merge refine AUC/AP itself);
 * then `fuseflow eval merge` of the N pass files in index order (it reads the inputs itself only
 * if a third round is needed), its output written to `RUN/result.json` (`--json`) or
 * `RUN/result.txt` through a writer-named temporary file and a rename ({@link writeThroughTemp}).
 */
import { OptionsError } from '../../core/errors.js';
import { splitEvalArgs } from '../commands/eval-split.js';
import { passedFlagValue, refuseShardFlags } from '../commands/split-flags.js';
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
  /**
   * `eval`: the refinement round between the shard step and the final step — `plan`, the lines of
   * the merge that writes the round's plan (run once after every shard succeeded), and `pass`, the
   * lines run for shard `$i` after it. Absent for `cache-fill`.
   */
  readonly round?: { readonly plan: readonly string[]; readonly pass: readonly string[] };
  /** Folders the run needs before its jobs start. */
  readonly folders: readonly string[];
  /** The file holding the run's result, if the final step writes one. */
  readonly result: string | undefined;
}

/** A shell function line so that `fuseflow …` in the steps runs the user's `--fuseflow` command. */
export function fuseflowFunction(command: string): string[] {
  if (command === 'fuseflow') return [];
  const body = command.split(/\s+/)[0] === 'fuseflow' ? `command ${command}` : command;
  return [`fuseflow() { ${body} "$@"; }`];
}

function cacheFillSteps(req: EmitRequest): ShardSteps {
  refuseShardFlags(req.passthrough, ['--index', '--shards'], 'fuseflow emit … cache-fill');
  const to = passedFlagValue(req.passthrough, '--to');
  if (to === undefined || to === '') throw new OptionsError('cache-fill needs --to SHARED_DIR (the shared folder the shards are published to, then committed)');
  const endpoint = passedFlagValue(req.passthrough, '--s3-endpoint');
  const threads = req.cpusPerTask !== undefined && passedFlagValue(req.passthrough, '--threads') === undefined ? ['--threads', String(req.cpusPerTask)] : [];
  const shard: ShellWord[] = ['fuseflow', 'cache', 'fill', ...req.passthrough, ...threads, '--shards', String(req.shards), '--index', { shell: '"$i"' }];
  return {
    shard: [shellLine(shard)],
    final: [shellLine(['fuseflow', 'cache', 'commit', to, ...(endpoint === undefined ? [] : ['--s3-endpoint', endpoint])])],
    finalName: 'commit',
    folders: [`${req.runDir}/logs`],
    result: undefined,
  };
}

function evalSteps(req: EmitRequest): ShardSteps {
  refuseShardFlags(req.passthrough, ['--shard', '--state-out', '--pass'], 'fuseflow emit … eval');
  const split = splitEvalArgs(req.passthrough);
  const shardArgs = [...split.shardArgs];
  const mergeArgs = split.mergeArgs;
  if (req.cpusPerTask !== undefined && passedFlagValue(shardArgs, '--threads') === undefined) shardArgs.push('--threads', String(req.cpusPerTask));
  const n = String(req.shards);
  const states = `${req.runDir}/states`;
  const state = `${shellQuote(states)}/shard-"$i"-of-${n}.state`;
  const plan = `${req.runDir}/plan-1.state`;
  const pass = `${shellQuote(states)}/pass-1-shard-"$i"-of-${n}.state`;
  const result = `${req.runDir}/result.${mergeArgs.includes('--json') ? 'json' : 'txt'}`;
  /** Sets "$@" to the N files `states/<name>-<k>-of-N.state`, k = 0 … N-1. */
  const files = (name: string): string => `set --; k=0; while [ "$k" -lt ${n} ]; do set -- "$@" ${shellQuote(states)}/${name}-"$k"-of-${n}.state; k=$((k + 1)); done`;
  /** The eval step writing `$var`: it decides itself what an existing file means (see the module comment). */
  const evalStep = (variable: string, extra: readonly ShellWord[]): string[] => [
    shellLine(['fuseflow', 'eval', ...shardArgs, '--shard', { shell: `"$i/${n}"` }, ...extra, '--state-out', { shell: `"$${variable}"` }]),
  ];
  const shard = [`state=${state}`, ...evalStep('state', [])];
  const round = {
    // Its stdout (the results, when no pass is needed) is the final merge's to print.
    plan: [
      files('shard'),
      `${shellLine(['fuseflow', 'eval', 'merge', { shell: '"$@"' }, '--next-pass-out', plan])} > /dev/null`,
      `echo "merged ${n} shards into ${plan} (the refinement round each shard runs next)" >&2`,
    ],
    pass: [`pass=${pass}`, ...evalStep('pass', ['--pass', plan])],
  };
  const final = [
    files('pass-1-shard'),
    ...writeThroughTemp(shellLine(['fuseflow', 'eval', 'merge', { shell: '"$@"' }, ...mergeArgs]), result),
    `echo "merged ${n} shards into ${result}" >&2`,
  ];
  return { shard, round, final, finalName: 'merge', folders: [`${req.runDir}/logs`, states], result };
}

/**
 * Shell lines that write `command`'s stdout to `target` as src/core/safe-fs.ts writes files: into
 * a temporary beside it named for its writer (`.NAME.tmp-PID-TIME@HOST`, the form
 * `tempWriterOf` reads, HOST with the PID namespace as `writerHost` gives it), created
 * exclusively (`set -C`), then renamed over `target`; a failed command removes its temporary and
 * exits with the command's status. Two merges of one run at once (a requeued job beside the
 * first) each write their own temporary, and a file of the user's named `NAME.tmp` is never
 * truncated.
 */
export function writeThroughTemp(command: string, target: string): string[] {
  const slash = target.lastIndexOf('/');
  const folder = slash < 0 ? '.' : target.slice(0, slash) || '/';
  const name = target.slice(slash + 1);
  return [
    'ns=$(readlink /proc/self/ns/pid 2>/dev/null | tr -cd 0-9) || ns=',
    `tmp=${shellQuote(folder)}/${shellQuote(`.${name}.tmp-`)}"$$-$(date +%s)@$(uname -n | tr '@/' '__' | cut -c1-64)\${ns:+~$ns}"`,
    `(set -C; ${command} > "$tmp") || { rc=$?; rm -f "$tmp"; exit "$rc"; }`,
    `mv -f "$tmp" ${shellQuote(target)}`,
  ];
}

/** The steps of `req.kind`. @throws {OptionsError} for a flag emit sets itself, or a missing `--to`. */
export function shardSteps(req: EmitRequest): ShardSteps {
  return req.kind === 'cache-fill' ? cacheFillSteps(req) : evalSteps(req);
}
