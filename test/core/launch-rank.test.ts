import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { launchRank, type LaunchRank, type LaunchRankOptions } from '../../src/core/launch-rank.js';

/** One row: the options (env included), and the rank, world size and source they must give. */
interface Row {
  readonly name: string;
  readonly options: LaunchRankOptions;
  readonly want: LaunchRank;
}

const ROWS: readonly Row[] = [
  { name: 'flags only', options: { index: 2, count: 4, env: {} }, want: { rank: 2, worldSize: 4, source: '--index/--shards' } },
  {
    name: 'Slurm array 0-7',
    options: { env: { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '8', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '7' } },
    want: { rank: 3, worldSize: 8, source: 'SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT' },
  },
  {
    name: 'Slurm array 1-8 (MIN is not 0)',
    options: { env: { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '8', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '8' } },
    want: { rank: 0, worldSize: 8, source: 'SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT' },
  },
  {
    name: 'Slurm array 10-24:2 (a step)',
    options: { env: { SLURM_ARRAY_TASK_ID: '24', SLURM_ARRAY_TASK_COUNT: '8', SLURM_ARRAY_TASK_MIN: '10', SLURM_ARRAY_TASK_MAX: '24', SLURM_ARRAY_TASK_STEP: '2' } },
    want: { rank: 7, worldSize: 8, source: 'SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT' },
  },
  {
    name: 'Slurm array wins over the batch step variables it also sets',
    options: { env: { SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_COUNT: '4', SLURM_PROCID: '0', SLURM_NTASKS: '1' } },
    want: { rank: 2, worldSize: 4, source: 'SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT' },
  },
  { name: 'Slurm step (srun -n 6)', options: { env: { SLURM_PROCID: '5', SLURM_NTASKS: '6' } }, want: { rank: 5, worldSize: 6, source: 'SLURM_PROCID/SLURM_NTASKS' } },
  {
    name: 'Kubernetes Indexed Job, count from FUSEFLOW_WORLD_SIZE',
    options: { env: { JOB_COMPLETION_INDEX: '9', FUSEFLOW_WORLD_SIZE: '10' } },
    want: { rank: 9, worldSize: 10, source: 'JOB_COMPLETION_INDEX/FUSEFLOW_WORLD_SIZE' },
  },
  {
    name: 'Kubernetes Indexed Job, count from JOB_COMPLETION_COUNT',
    options: { env: { JOB_COMPLETION_INDEX: '0', JOB_COMPLETION_COUNT: '3' } },
    want: { rank: 0, worldSize: 3, source: 'JOB_COMPLETION_INDEX/JOB_COMPLETION_COUNT' },
  },
  {
    name: 'Kubernetes Indexed Job, count from the flag',
    options: { count: 5, env: { JOB_COMPLETION_INDEX: '4' } },
    want: { rank: 4, worldSize: 5, source: 'JOB_COMPLETION_INDEX/--shards' },
  },
  { name: 'RANK/WORLD_SIZE', options: { env: { RANK: '1', WORLD_SIZE: '2' } }, want: { rank: 1, worldSize: 2, source: 'RANK/WORLD_SIZE' } },
  {
    name: 'flag index overrides the Slurm array index, count from the array',
    options: { index: 0, env: { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '4' } },
    want: { rank: 0, worldSize: 4, source: '--index/SLURM_ARRAY_TASK_COUNT' },
  },
  {
    name: 'both flags: the environment is not read (even a broken one)',
    options: { index: 1, count: 2, env: { SLURM_ARRAY_TASK_ID: 'x', RANK: '7' } },
    want: { rank: 1, worldSize: 2, source: '--index/--shards' },
  },
  {
    name: 'a flag count that agrees with the array',
    options: { count: 4, env: { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '4' } },
    want: { rank: 3, worldSize: 4, source: 'SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT' },
  },
  { name: 'one shard and no launcher is rank 0 of 1', options: { count: 1, env: {} }, want: { rank: 0, worldSize: 1, source: '--shards' } },
  { name: 'empty variables count as unset', options: { env: { SLURM_ARRAY_TASK_ID: '', RANK: '0', WORLD_SIZE: '1' } }, want: { rank: 0, worldSize: 1, source: 'RANK/WORLD_SIZE' } },
];

/** Options that must fail, and the words the message must carry (the variables at fault). */
const REFUSED: readonly { readonly name: string; readonly options: LaunchRankOptions; readonly says: readonly string[] }[] = [
  { name: 'nothing set', options: { env: {} }, says: ['--index', 'SLURM_ARRAY_TASK_ID', 'JOB_COMPLETION_INDEX', 'RANK/WORLD_SIZE'] },
  { name: 'a count > 1 and no index', options: { count: 4, env: {} }, says: ['no shard index', '--index'] },
  { name: 'flag index without any count', options: { index: 0, env: {} }, says: ['--index 0', '--shards'] },
  { name: 'flag index >= flag count', options: { index: 4, count: 4, env: {} }, says: ['--index 4', '--shards 4'] },
  { name: 'flag index >= environment count', options: { index: 4, env: { RANK: '0', WORLD_SIZE: '4' } }, says: ['--index 4', 'count 4'] },
  { name: 'non-integer flag', options: { index: 1.5, count: 4, env: {} }, says: ['--index 1.5'] },
  { name: 'zero flag count', options: { count: 0, env: {} }, says: ['--shards 0', 'positive'] },
  { name: 'non-integer env index', options: { env: { RANK: '1.0', WORLD_SIZE: '2' } }, says: ['RANK="1.0"'] },
  { name: 'negative env index', options: { env: { SLURM_PROCID: '-1', SLURM_NTASKS: '2' } }, says: ['SLURM_PROCID="-1"'] },
  { name: 'env count of zero', options: { env: { RANK: '0', WORLD_SIZE: '0' } }, says: ['WORLD_SIZE="0"', 'positive'] },
  { name: 'env index with spaces', options: { env: { SLURM_PROCID: ' 1', SLURM_NTASKS: '2' } }, says: ['SLURM_PROCID=" 1"'] },
  { name: 'env index >= env count', options: { env: { SLURM_PROCID: '2', SLURM_NTASKS: '2' } }, says: ['index 2', 'SLURM_PROCID/SLURM_NTASKS', 'count 2'] },
  { name: 'RANK without WORLD_SIZE', options: { env: { RANK: '0' } }, says: ['RANK', 'WORLD_SIZE is not'] },
  { name: 'SLURM_PROCID without SLURM_NTASKS', options: { env: { SLURM_PROCID: '0' } }, says: ['SLURM_NTASKS is not'] },
  { name: 'array task without its count', options: { env: { SLURM_ARRAY_TASK_ID: '0' } }, says: ['SLURM_ARRAY_TASK_COUNT is not'] },
  {
    name: 'array task id below MIN',
    options: { env: { SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '4' } },
    says: ['SLURM_ARRAY_TASK_ID=0', 'SLURM_ARRAY_TASK_MIN=1'],
  },
  { name: 'array task id past the end', options: { env: { SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '4' } }, says: ['index 4 of 4'] },
  {
    name: 'array that is not one range (--array=1,3,7)',
    options: { env: { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '7', SLURM_ARRAY_TASK_COUNT: '3' } },
    says: ['not one range', 'SLURM_ARRAY_TASK_MAX=7', '--array=0-2'],
  },
  {
    name: 'flag count disagrees with the array',
    options: { count: 8, env: { SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: '4' } },
    says: ['--shards 8', 'SLURM_ARRAY_TASK_COUNT=4'],
  },
  { name: 'flag count disagrees with WORLD_SIZE', options: { count: 3, env: { RANK: '0', WORLD_SIZE: '2' } }, says: ['--shards 3', 'WORLD_SIZE=2'] },
  {
    name: 'flag count disagrees with FUSEFLOW_WORLD_SIZE',
    options: { count: 3, env: { JOB_COMPLETION_INDEX: '0', FUSEFLOW_WORLD_SIZE: '4' } },
    says: ['--shards 3', 'FUSEFLOW_WORLD_SIZE=4'],
  },
  {
    name: 'FUSEFLOW_WORLD_SIZE disagrees with JOB_COMPLETION_COUNT',
    options: { env: { JOB_COMPLETION_INDEX: '0', FUSEFLOW_WORLD_SIZE: '4', JOB_COMPLETION_COUNT: '5' } },
    says: ['FUSEFLOW_WORLD_SIZE=4', 'JOB_COMPLETION_COUNT=5'],
  },
  { name: 'JOB_COMPLETION_INDEX without any count', options: { env: { JOB_COMPLETION_INDEX: '0' } }, says: ['JOB_COMPLETION_INDEX=0', '--shards', 'FUSEFLOW_WORLD_SIZE'] },
  { name: 'JOB_COMPLETION_INDEX >= count', options: { env: { JOB_COMPLETION_INDEX: '4', FUSEFLOW_WORLD_SIZE: '4' } }, says: ['index 4', 'count 4'] },
];

function refusal(options: LaunchRankOptions): InputError {
  try {
    launchRank(options);
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('launchRank accepted the options');
}

describe('launchRank', () => {
  it.each(ROWS)('$name', ({ options, want }) => {
    expect(launchRank(options)).toEqual(want);
  });

  it.each(REFUSED)('refuses: $name', ({ options, says }) => {
    const err = refusal(options);
    for (const words of says) expect(err.message).toContain(words);
  });

  it('reads process.env by default and names the flags as the caller asks', () => {
    const saved = { RANK: process.env.RANK, WORLD_SIZE: process.env.WORLD_SIZE };
    process.env.RANK = '1';
    process.env.WORLD_SIZE = '3';
    try {
      // A test runner may itself run under Slurm; the first source present wins, so compare with the env rows only when none is set.
      if (process.env.SLURM_ARRAY_TASK_ID === undefined && process.env.SLURM_PROCID === undefined && process.env.JOB_COMPLETION_INDEX === undefined) {
        expect(launchRank()).toEqual({ rank: 1, worldSize: 3, source: 'RANK/WORLD_SIZE' });
      }
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    expect(refusal({ index: 3, count: 2, env: {}, flagNames: { index: '--shard i', count: '--shard /N' } }).message).toBe('--shard i 3 is not below --shard /N 2');
  });

  it('every rank of an array is hit exactly once (ranks 0..N-1 for --array=MIN-MAX)', () => {
    for (const [min, n] of [
      [0, 5],
      [1, 4],
      [100, 7],
    ] as const) {
      const ranks = Array.from(
        { length: n },
        (_, i) => launchRank({ env: { SLURM_ARRAY_TASK_ID: String(min + i), SLURM_ARRAY_TASK_MIN: String(min), SLURM_ARRAY_TASK_COUNT: String(n) } }).rank,
      );
      expect(ranks).toEqual(Array.from({ length: n }, (_, i) => i));
    }
  });
});
