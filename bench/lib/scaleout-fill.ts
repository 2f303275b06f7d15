/**
 * The sharded cache fill section of `npm run bench -- scaleout` (bench/scaleout.ts imports
 * {@link scaleoutFillRows}): the same 200 ids (64×64×32 volumes through a real static pipeline,
 * scaleout-fill-dataset.ts) filled by `fuseflow cache fill` as 1 process, then as P processes at
 * once ranked as Slurm array tasks, each followed by `cache commit`; plus one process's fixed cost
 * (a rerun on a published shard: start-up, module load, plan check) and a same-run calibration
 * (a pure busy loop in 1 vs P processes), so a ratio below P can be read as cores (2 here), start-up
 * cost or machine load. Every timed command is a real OS process; wall-clock times.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchRow } from './report.js';

/** Options of {@link scaleoutFillRows}. */
export interface ScaleoutFillOptions {
  /** Processes of the parallel fill. Default 4. */
  readonly processes?: number;
  /** Worker threads per process (`--threads`). Default 0 (each process computes in its own thread). */
  readonly threads?: number;
}

const MODULE = fileURLToPath(new URL('./scaleout-fill-dataset.ts', import.meta.url));
const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const RANK_VARS = /^(SLURM_|RANK$|WORLD_SIZE$|JOB_COMPLETION_|FUSEFLOW_WORLD_SIZE$)/;

/** Runs `node --import tsx src/cli/main.ts ...args` (or `node -e code`); resolves with its wall time in ms, rejects on failure. */
function timed(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<number> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !RANK_VARS.test(k)));
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { env: { ...base, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) =>
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`${args.slice(2).join(' ')} exited ${String(code)}: ${err.slice(-2000)}`)))),
  );
}

const fuseflow = (args: readonly string[], env?: Readonly<Record<string, string>>): Promise<number> => timed(['--import', 'tsx', CLI, ...args], env);

/** About 1 s of pure CPU in one process (on a quiet core). */
const BUSY = 'let x=0;for(let i=0;i<1e8;i++)x=(x+i*7)%1000003;if(x<0)console.log(x)';

/**
 * Times the fill of 200 ids with 1 vs `processes` local processes (see the module comment) and
 * returns the benchmark rows (seconds; the speed-up row has the ratio, bar and note).
 * @example const rows = await scaleoutFillRows({ processes: 4 });
 */
export async function scaleoutFillRows(options: ScaleoutFillOptions = {}): Promise<BenchRow[]> {
  const processes = options.processes ?? 4;
  const threads = String(options.threads ?? 0);
  const dir = mkdtempSync(join(tmpdir(), 'ff-bench-scaleout-fill-'));
  try {
    const load0 = loadavg()[0] ?? 0;
    const common = (to: string, local: string): string[] => [MODULE, '--to', to, '--local', local, '--threads', threads];
    const one = await fuseflow(['cache', 'fill', ...common(join(dir, 'one'), join(dir, 'local')), '--shards', '1', '--index', '0']);
    const commitOne = await fuseflow(['cache', 'commit', join(dir, 'one')]);
    const rerun = await fuseflow(['cache', 'fill', ...common(join(dir, 'one'), join(dir, 'local')), '--shards', '1', '--index', '0']);
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: processes }, (_, i) =>
        fuseflow(['cache', 'fill', ...common(join(dir, 'many'), join(dir, `local-${i}`)), '--shards', String(processes)], {
          SLURM_ARRAY_TASK_ID: String(i),
          SLURM_ARRAY_TASK_COUNT: String(processes),
        }),
      ),
    );
    const many = performance.now() - t0;
    const commitMany = await fuseflow(['cache', 'commit', join(dir, 'many')]);
    const busy1 = await timed(['-e', BUSY]);
    const t1 = performance.now();
    await Promise.all(Array.from({ length: processes }, () => timed(['-e', BUSY])));
    const busyMany = performance.now() - t1;
    const load1 = loadavg()[0] ?? 0;
    const cores = availableParallelism();
    const ideal = Math.min(processes, cores);
    const calib = (busy1 * processes) / busyMany;
    const note = `ideal ${ideal}× on ${cores} cores; calibration (busy loop, ${processes} processes) ${calib.toFixed(2)}×; each process pays ${(rerun / 1000).toFixed(1)} s fixed; 1-min load ${load0.toFixed(1)} → ${load1.toFixed(1)}`;
    return [
      { name: `cache fill 200 ids, 1 process (--threads ${threads})`, value: one / 1000, unit: 's' },
      { name: 'cache commit, 1 shard', value: commitOne / 1000, unit: 's' },
      { name: 'cache fill rerun on the published shard (fixed cost of a process)', value: rerun / 1000, unit: 's' },
      { name: `cache fill 200 ids, ${processes} processes (Slurm-ranked)`, value: many / 1000, unit: 's', ratio: one / many, ratioOf: 'speed-up vs 1 process', note },
      { name: `cache commit, ${processes} shards`, value: commitMany / 1000, unit: 's' },
      { name: `calibration: busy loop x${processes}, 1 process each in turn vs ${processes} at once`, value: busyMany / 1000, unit: 's', ratio: calib, ratioOf: 'speed-up' },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
