/**
 * Which shard this process runs, read from the engine that started it: explicit flags first, then
 * the environment of a Slurm array task, a Slurm step (`srun`), a Kubernetes Indexed Job, or a
 * `RANK`/`WORLD_SIZE` launcher (torchrun, mpirun wrappers). One table of sources, tried in order;
 * a source whose variables are only partly set, disagree with a given count, or are not
 * non-negative integers is an {@link InputError} that names the variables and their values.
 */
import { InputError } from './errors.js';

/** This process's place among the processes of a run. */
export interface LaunchRank {
  /** 0-based index of this process, `0 <= rank < worldSize`. */
  readonly rank: number;
  /** How many processes (shards) the run has, `>= 1`. */
  readonly worldSize: number;
  /** Where the values came from, e.g. `SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT` or `--index/--shards`. */
  readonly source: string;
}

/** Options of {@link launchRank}. */
export interface LaunchRankOptions {
  /** The index given on the command line; overrides every environment source. Default: none. */
  readonly index?: number;
  /** The count given on the command line; an environment count that disagrees is an error. Default: none. */
  readonly count?: number;
  /** The environment to read. Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** How error messages name the two flags. Default `{ index: '--index', count: '--shards' }`. */
  readonly flagNames?: { readonly index: string; readonly count: string };
}

/** What one environment source found: the rank, and the count when the source carries one. */
interface Found {
  readonly rank: number;
  /** The count and the variable it came from; absent when the source has none (the flag must give it). */
  readonly count?: EnvCount;
  readonly source: string;
}

/** A count read from the environment: its value and the variable that held it. */
interface EnvCount {
  readonly value: number;
  readonly name: string;
}

const shown = (c: EnvCount): string => `${c.name}=${c.value}`;

/** One launcher: the variable whose presence selects it, and how to read the rest. */
interface Source {
  /** The variable that says this launcher started the process. */
  readonly marker: string;
  readonly read: (env: NodeJS.ProcessEnv, flagCount: number | undefined, names: { readonly count: string }) => Found;
}

/** A variable's value as a non-negative integer (`min` 1 for counts). */
function intVar(env: NodeJS.ProcessEnv, name: string, min = 0): number {
  const raw = env[name];
  if (raw === undefined) throw new InputError(`${name} is not set`);
  if (!/^\d+$/.test(raw) || Number(raw) < min || !Number.isSafeInteger(Number(raw))) {
    throw new InputError(`${name}=${JSON.stringify(raw)} is not ${min === 0 ? 'a non-negative' : 'a positive'} integer`);
  }
  return Number(raw);
}

/** Like {@link intVar}, but `undefined` when the variable is unset or empty. */
function optionalIntVar(env: NodeJS.ProcessEnv, name: string, min = 0): number | undefined {
  return env[name] === undefined || env[name] === '' ? undefined : intVar(env, name, min);
}

/** Slurm job array (`sbatch --array=A-B[:S][%K]`): rank = (ID - MIN) / STEP, count = COUNT. */
function slurmArray(env: NodeJS.ProcessEnv): Found {
  const id = intVar(env, 'SLURM_ARRAY_TASK_ID');
  const countOf = optionalIntVar(env, 'SLURM_ARRAY_TASK_COUNT', 1);
  if (countOf === undefined) throw new InputError('SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not (Slurm 17.11 or later sets it)');
  const min = optionalIntVar(env, 'SLURM_ARRAY_TASK_MIN') ?? 0;
  const step = optionalIntVar(env, 'SLURM_ARRAY_TASK_STEP', 1) ?? 1;
  const max = optionalIntVar(env, 'SLURM_ARRAY_TASK_MAX');
  const vars = `SLURM_ARRAY_TASK_ID=${id}, SLURM_ARRAY_TASK_MIN=${min}, SLURM_ARRAY_TASK_STEP=${step}, SLURM_ARRAY_TASK_COUNT=${countOf}`;
  if (max !== undefined && (max < min || (max - min) / step + 1 !== countOf)) {
    throw new InputError(`the Slurm array is not one range: ${vars}, SLURM_ARRAY_TASK_MAX=${max} (submit it as --array=0-${countOf - 1})`);
  }
  if (id < min || (id - min) % step !== 0) throw new InputError(`SLURM_ARRAY_TASK_ID is not in the array's range: ${vars}`);
  const rank = (id - min) / step;
  if (rank >= countOf) throw new InputError(`SLURM_ARRAY_TASK_ID is past the array's end: ${vars} gives index ${rank} of ${countOf}`);
  return { rank, count: { value: countOf, name: 'SLURM_ARRAY_TASK_COUNT' }, source: 'SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT' };
}

/** A variable pair `INDEX`/`COUNT` that must both be set. */
function pair(indexVar: string, countVar: string): (env: NodeJS.ProcessEnv) => Found {
  return (env) => {
    const rank = intVar(env, indexVar);
    if (env[countVar] === undefined || env[countVar] === '') throw new InputError(`${indexVar} is set but ${countVar} is not`);
    const value = intVar(env, countVar, 1);
    return { rank, count: { value, name: countVar }, source: `${indexVar}/${countVar}` };
  };
}

/** Kubernetes Indexed Job: the index is JOB_COMPLETION_INDEX; the count comes from the flag or env. */
function k8sIndexed(env: NodeJS.ProcessEnv, flagCount: number | undefined, names: { readonly count: string }): Found {
  const rank = intVar(env, 'JOB_COMPLETION_INDEX');
  const counts = ['FUSEFLOW_WORLD_SIZE', 'JOB_COMPLETION_COUNT'].flatMap((name) => {
    const value = optionalIntVar(env, name, 1);
    return value === undefined ? [] : [{ value, name }];
  });
  const [first, second] = counts;
  if (first !== undefined && second !== undefined && first.value !== second.value) throw new InputError(`the count disagrees between ${shown(first)} and ${shown(second)}`);
  if (first === undefined && flagCount === undefined) {
    throw new InputError(
      `JOB_COMPLETION_INDEX=${rank} is set but no count is: give ${names.count} N, or set FUSEFLOW_WORLD_SIZE (or JOB_COMPLETION_COUNT) to the Job's completions`,
    );
  }
  return { rank, ...(first === undefined ? {} : { count: first }), source: `JOB_COMPLETION_INDEX/${first === undefined ? names.count : first.name}` };
}

/** The launchers, in the order they are tried: the first whose marker variable is set wins. */
const SOURCES: readonly Source[] = [
  { marker: 'SLURM_ARRAY_TASK_ID', read: slurmArray },
  { marker: 'SLURM_PROCID', read: pair('SLURM_PROCID', 'SLURM_NTASKS') },
  { marker: 'JOB_COMPLETION_INDEX', read: k8sIndexed },
  { marker: 'RANK', read: pair('RANK', 'WORLD_SIZE') },
];

/** Every variable the table reads, for the message when none is set. */
const ALL_VARS = 'SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, SLURM_PROCID/SLURM_NTASKS, JOB_COMPLETION_INDEX (+ FUSEFLOW_WORLD_SIZE), RANK/WORLD_SIZE';

function checkFlag(name: string, value: number | undefined, min: number): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < min)) {
    throw new InputError(`${name} ${value} is not ${min === 0 ? 'a non-negative' : 'a positive'} integer`);
  }
}

/**
 * This process's rank and the run's world size. Sources, in order: explicit flags (`index` and
 * `count`), `SLURM_ARRAY_TASK_ID`/`SLURM_ARRAY_TASK_COUNT` (minus `SLURM_ARRAY_TASK_MIN`, divided
 * by `SLURM_ARRAY_TASK_STEP`), `SLURM_PROCID`/`SLURM_NTASKS`, `JOB_COMPLETION_INDEX` with the count
 * from the flag, `FUSEFLOW_WORLD_SIZE` or `JOB_COMPLETION_COUNT`, then `RANK`/`WORLD_SIZE`. A flag
 * index overrides the environment's (given with a count, the environment is not read); a flag
 * count given alone must equal the environment's count when the launcher has one.
 * `count: 1` with no index anywhere is rank 0 of 1.
 *
 * @example
 * launchRank({ env: { SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '8' } })
 * // → { rank: 4, worldSize: 8, source: 'SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT' }
 * @throws {InputError} naming the variables when none is set, one is set without its partner, a
 *   value is not an integer, counts disagree, or the rank is not below the count.
 */
export function launchRank(options: LaunchRankOptions = {}): LaunchRank {
  const env = options.env ?? process.env;
  const names = options.flagNames ?? { index: '--index', count: '--shards' };
  checkFlag(names.index, options.index, 0);
  checkFlag(names.count, options.count, 1);
  if (options.index !== undefined && options.count !== undefined) {
    // Both flags given: the environment is not read at all (a launcher's variables may be stale or absent).
    if (options.index >= options.count) throw new InputError(`${names.index} ${options.index} is not below ${names.count} ${options.count}`);
    return { rank: options.index, worldSize: options.count, source: `${names.index}/${names.count}` };
  }
  const launcher = SOURCES.find((s) => env[s.marker] !== undefined && env[s.marker] !== '');
  const found = launcher?.read(env, options.count, names);
  if (found?.count !== undefined && options.count !== undefined && found.count.value !== options.count) {
    throw new InputError(`the count disagrees between ${names.count} ${options.count} and ${shown(found.count)} (${found.source})`);
  }
  const worldSize = options.count ?? found?.count?.value;
  if (options.index !== undefined) {
    if (worldSize === undefined) throw new InputError(`${names.index} ${options.index} is given without a count: give ${names.count} N too`);
    if (options.index >= worldSize) throw new InputError(`${names.index} ${options.index} is not below the count ${worldSize}`);
    return { rank: options.index, worldSize, source: `${names.index}/${found?.count?.name ?? ''}` };
  }
  if (found === undefined || worldSize === undefined) {
    if (options.count === 1) return { rank: 0, worldSize: 1, source: names.count };
    throw new InputError(`no shard index: give ${names.index} i (and ${names.count} N), or run under a launcher that sets one of ${ALL_VARS}`);
  }
  if (found.rank >= worldSize) throw new InputError(`the index ${found.rank} from ${found.source} is not below the count ${worldSize}`);
  return { rank: found.rank, worldSize, source: found.source };
}
