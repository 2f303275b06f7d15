/**
 * The arguments of `fuseflow emit ENGINE KIND …`, parsed: emit's own flags are taken out by name
 * (`--shards`, `--out`, the scheduler's resources …) and every other argument is the sharded
 * command's own, kept verbatim in order; after a bare `--` every argument is the command's.
 */
import { isAbsolute, resolve } from 'node:path';
import { OptionsError } from '../../core/errors.js';

/** The engines `fuseflow emit` writes for. */
export const EMIT_ENGINES = ['slurm', 'k8s'] as const;
export type EmitEngine = (typeof EMIT_ENGINES)[number];

/** The sharded commands: `cache-fill` (then `cache commit`) and `eval` (then `eval merge`). */
export const EMIT_KINDS = ['cache-fill', 'eval'] as const;
export type EmitKind = (typeof EMIT_KINDS)[number];

/** What to emit. Paths are absolute (resolved against the folder emit ran in). */
export interface EmitRequest {
  readonly engine: EmitEngine;
  readonly kind: EmitKind;
  /** The sharded command's own arguments, verbatim (e.g. `--input 'preds/*.arrow' --pred p`). */
  readonly passthrough: readonly string[];
  /** Shards (array tasks / completions), >= 1. */
  readonly shards: number;
  /** At most this many shards run at once (Slurm `%K`, Kubernetes `parallelism`); default: all. */
  readonly maxParallel: number | undefined;
  /** The file to write (Kubernetes: the Indexed Job; the merge/commit Job goes beside it). */
  readonly out: string;
  /** Replace existing output files. Default false. */
  readonly overwrite: boolean;
  /** How a job starts fuseflow: a shell command prefix. Default `fuseflow`. */
  readonly fuseflow: string;
  /** The folder emit ran in: the jobs run there, so relative paths mean what they meant here. */
  readonly workDir: string;
  /** The run's folder (logs, per-shard states, merged result). Default `<out without extension>-run`. */
  readonly runDir: string;
  /** Job name. Default `fuseflow-<kind>`. */
  readonly jobName: string;
  /** CPUs per shard (Slurm `--cpus-per-task`, Kubernetes cpu request). */
  readonly cpusPerTask: number | undefined;
  /** Memory per shard, in the engine's notation (Slurm `4G`, Kubernetes `4Gi`). */
  readonly mem: string | undefined;
  /** Slurm only. */
  readonly partition: string | undefined;
  readonly time: string | undefined;
  readonly account: string | undefined;
  /** Kubernetes only: the container image holding fuseflow; a PersistentVolumeClaim the pods share, and where it is mounted. */
  readonly image: string | undefined;
  readonly pvc: string | undefined;
  readonly mount: string;
}

/** emit's own valued flags, and the engine that accepts each (`both` for all). */
const VALUED: Readonly<Record<string, EmitEngine | 'both'>> = {
  '--shards': 'both',
  '--max-parallel': 'both',
  '--out': 'both',
  '--fuseflow': 'both',
  '--run-dir': 'both',
  '--job-name': 'both',
  '--cpus-per-task': 'both',
  '--mem': 'both',
  '--partition': 'slurm',
  '--time': 'slurm',
  '--account': 'slurm',
  '--image': 'k8s',
  '--pvc': 'k8s',
  '--mount': 'k8s',
};

function positiveInt(flag: string, raw: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || !Number.isSafeInteger(Number(raw))) throw new OptionsError(`${flag} must be a positive integer, got '${raw}'`);
  return Number(raw);
}

function matching(flag: string, raw: string | undefined, pattern: RegExp, expected: string): string | undefined {
  if (raw !== undefined && !pattern.test(raw)) throw new OptionsError(`${flag} '${raw}' is not ${expected}`);
  return raw;
}

/** A Kubernetes object name (RFC 1123 label), short enough for the `-merge` suffix and pod names. */
const K8S_NAME = /^[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?$/;

/**
 * Parses `ENGINE KIND [args…]`.
 *
 * @example parseEmitRequest(['slurm', 'eval', '--input', 'p/*.arrow', '--pred', 'p', '--target', 'y', '--shards', '4', '--out', 'eval.sbatch'], '/home/me')
 * @throws {OptionsError} for an unknown engine or kind, a missing `--shards`/`--out`, a bad value,
 *   or a flag of the other engine.
 */
export function parseEmitRequest(args: readonly string[], cwd: string): EmitRequest {
  const [engine, kind, ...rest] = args;
  if (!EMIT_ENGINES.includes(engine as EmitEngine)) throw new OptionsError(`the first word must be one of ${EMIT_ENGINES.join(', ')}, got '${engine ?? ''}'`);
  if (!EMIT_KINDS.includes(kind as EmitKind)) throw new OptionsError(`the second word must be one of ${EMIT_KINDS.join(', ')}, got '${kind ?? ''}'`);
  const eng = engine as EmitEngine;
  const flags = new Map<string, string>();
  const passthrough: string[] = [];
  let overwrite = false;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] as string;
    if (a === '--') {
      passthrough.push(...rest.slice(i + 1));
      break;
    }
    if (a === '--overwrite') {
      overwrite = true;
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const accepts = VALUED[name];
    if (accepts === undefined) {
      passthrough.push(a);
      continue;
    }
    if (accepts !== 'both' && accepts !== eng) throw new OptionsError(`${name} is for \`fuseflow emit ${accepts}\`, not ${eng}`);
    const value = name === a ? rest[++i] : a.slice(eq + 1);
    if (value === undefined) throw new OptionsError(`${name} needs a value`);
    if (flags.has(name)) throw new OptionsError(`${name} is given twice`);
    flags.set(name, value);
  }
  const shardsRaw = flags.get('--shards');
  if (shardsRaw === undefined) throw new OptionsError('--shards N is required');
  const shards = positiveInt('--shards', shardsRaw);
  const outRaw = flags.get('--out');
  if (outRaw === undefined || outRaw === '') throw new OptionsError('--out FILE is required');
  const out = resolve(cwd, outRaw);
  const maxRaw = flags.get('--max-parallel');
  const maxParallel = maxRaw === undefined ? undefined : Math.min(positiveInt('--max-parallel', maxRaw), shards);
  const cpusRaw = flags.get('--cpus-per-task');
  const jobName = flags.get('--job-name') ?? `fuseflow-${kind}`;
  if (eng === 'k8s' && !K8S_NAME.test(jobName))
    throw new OptionsError(`--job-name '${jobName}' is not a Kubernetes name (lower-case letters, digits and '-', at most 42 characters)`);
  if (eng === 'slurm' && !/^[A-Za-z0-9_.-]+$/.test(jobName)) throw new OptionsError(`--job-name '${jobName}' may hold only letters, digits, '_', '.' and '-'`);
  const image = flags.get('--image');
  if (eng === 'k8s' && (image === undefined || image === '')) throw new OptionsError('--image IMAGE is required for k8s (a container image with fuseflow installed)');
  const mount = flags.get('--mount') ?? '/data';
  if (!isAbsolute(mount)) throw new OptionsError(`--mount '${mount}' must be an absolute path`);
  const runRaw = flags.get('--run-dir');
  if (eng === 'k8s' && runRaw !== undefined && !isAbsolute(runRaw))
    throw new OptionsError(`--run-dir '${runRaw}' must be an absolute path inside the pods (e.g. under --mount ${mount})`);
  const runDir = runRaw !== undefined ? resolve(cwd, runRaw) : eng === 'k8s' ? `${mount}/${jobName}` : `${out.replace(/\.[^./]*$/, '')}-run`;
  if (runDir === out) throw new OptionsError(`--run-dir and --out are the same path '${out}'`);
  const memPattern = eng === 'slurm' ? /^\d+[KMGT]?$/ : /^\d+(\.\d+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/;
  return {
    engine: eng,
    kind: kind as EmitKind,
    passthrough,
    shards,
    maxParallel,
    out,
    overwrite,
    fuseflow: flags.get('--fuseflow') ?? 'fuseflow',
    workDir: cwd,
    runDir,
    jobName,
    cpusPerTask: cpusRaw === undefined ? undefined : positiveInt('--cpus-per-task', cpusRaw),
    mem: matching('--mem', flags.get('--mem'), memPattern, eng === 'slurm' ? "Slurm's memory notation (e.g. 4000M, 16G)" : "Kubernetes' memory notation (e.g. 4Gi, 512Mi)"),
    partition: matching('--partition', flags.get('--partition'), /^[A-Za-z0-9_.,-]+$/, 'a Slurm partition name'),
    time: matching('--time', flags.get('--time'), /^(\d+-)?\d+(:\d+){0,2}$/, 'a Slurm time limit (MINUTES, HH:MM:SS or D-HH:MM:SS)'),
    account: matching('--account', flags.get('--account'), /^[A-Za-z0-9_.-]+$/, 'a Slurm account name'),
    image,
    pvc: matching('--pvc', flags.get('--pvc'), /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'a PersistentVolumeClaim name'),
    mount,
  };
}
