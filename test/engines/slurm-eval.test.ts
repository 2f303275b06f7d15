/**
 * `fuseflow emit slurm eval` on a real one-node Slurm: the emitted script is submitted with
 * `bash FILE` as a user would; the array job, the plan job, the pass array job (the refinement
 * round: exact AUC/AP, 21,000 rows) and the merge job run the CLI, and the merged JSON equals one
 * `fuseflow eval` over all the files (the merge reading no input itself). Over float32 scores the
 * plan job refines from the shards' kept keys itself and the pass tasks read nothing.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RecordBatchFileWriter, tableFromArrays } from 'apache-arrow';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { readStateFile } from '../../src/eval/shard/state-file.js';
import { tempFolder } from '../temp-folder.js';
import { describeEngine } from './engine-suite.js';
import { FUSEFLOW_FROM_SOURCES, SLURM_PACKAGES, sh, slurmMissing, startSlurm, type SlurmCluster } from './slurm.js';

/**
 * `files` Arrow files of binary predictions (id, pred, target), seeded, with ties across files
 * (every 4th score rounded to 1/50); over 16,384 rows the AUC needs a refinement pass.
 */
function writePredictions(dir: string, files: number, rowsPerFile: number, float32 = false): void {
  const rng = Rng.fromParts([11, 'slurm-eval']);
  mkdirSync(dir, { recursive: true });
  for (let f = 0; f < files; f++) {
    const target = Int8Array.from({ length: rowsPerFile }, () => (rng.next() < 0.4 ? 1 : 0));
    const pred64 = Float64Array.from(target, (y, i) => {
      const p = Math.min(1, Math.max(0, 0.3 + 0.3 * y + 0.5 * (rng.next() - 0.5)));
      return i % 4 === 0 ? Math.round(p * 50) / 50 : p;
    });
    const pred = float32 ? Float32Array.from(pred64) : pred64;
    const id = Array.from({ length: rowsPerFile }, (_, i) => `f${f}-${i}`);
    const writer = new RecordBatchFileWriter();
    for (const batch of tableFromArrays({ id, pred, target }).batches) writer.write(batch);
    writer.finish();
    writeFileSync(join(dir, `part-${f}.arrow`), writer.toUint8Array(true));
  }
}

const ARGS = `--input 'preds/*.arrow' --pred pred --target target --id id --ci 20 --seed 5 --json --no-progress`;

/** The jobs an emitted eval script submits. */
interface EvalJobs {
  /** The map array job (one task a shard). */
  readonly array: string;
  readonly plan: string;
  /** The pass array job (one task a shard). */
  readonly pass: string;
  readonly merge: string;
}

/** Submits `script` (in `dir`) with `bash` as a user would; expects it quiet on stderr and returns the job ids it prints. */
async function submit(cluster: SlurmCluster, dir: string, script: string, shards: number): Promise<EvalJobs> {
  const submitted = await sh(`bash ${script}`, dir, cluster.env);
  expect(submitted.err).toBe('');
  const ids = new RegExp(`array job (\\d+) \\(${shards} shards\\), plan job (\\d+), pass array job (\\d+), merge job (\\d+)`).exec(submitted.out);
  expect(ids, submitted.out).not.toBeNull();
  const [, array = '', plan = '', pass = '', merge = ''] = ids ?? [];
  return { array, plan, pass, merge };
}

/** Waits for the jobs of a 4-shard run and expects every one (each array task) COMPLETED. */
async function expectCompleted(cluster: SlurmCluster, jobs: EvalJobs): Promise<void> {
  const states = await cluster.waitForJobs([jobs.array, jobs.plan, jobs.pass, jobs.merge], 480_000);
  const tasks = (job: string): string[] => [0, 1, 2, 3].map((i) => `${job}_${i} COMPLETED`);
  expect(states, cluster.logs()).toEqual([...tasks(jobs.array), `${jobs.plan} COMPLETED`, ...tasks(jobs.pass), `${jobs.merge} COMPLETED`]);
}

describeEngine('fuseflow emit slurm eval on a real one-node Slurm', slurmMissing, SLURM_PACKAGES, () => {
  const { dir } = tempFolder('fuseflow-slurm-eval-');
  let slurm: SlurmCluster | undefined;
  beforeAll(async () => {
    slurm = await startSlurm();
  }, 90_000);
  afterAll(async () => {
    await slurm?.stop();
  }, 60_000);

  it('array job → plan job → pass array job → merge job (afterok each) give the JSON of one fuseflow eval run', async () => {
    const cluster = slurm as SlurmCluster;
    writePredictions(join(dir, 'preds'), 7, 3_000);
    // The one-process reference and the emit run side by side (each starts the CLI from the sources).
    const [single, emitted] = await Promise.all([
      sh(`${FUSEFLOW_FROM_SOURCES} eval ${ARGS}`, dir),
      sh(
        `${FUSEFLOW_FROM_SOURCES} emit slurm eval ${ARGS} --shards 4 --max-parallel 2 --cpus-per-task 1 --time 10:00 --fuseflow '${FUSEFLOW_FROM_SOURCES}' --out eval.sbatch`,
        dir,
      ),
    ]);
    expect(single.err).toBe('');
    expect(single.code).toBe(0);
    expect(emitted.err).toBe('');
    expect(emitted.code).toBe(0);
    await expectCompleted(cluster, await submit(cluster, dir, 'eval.sbatch', 4));

    const merged = readFileSync(join(dir, 'eval-run', 'result.json'), 'utf8');
    expect(merged).toBe(single.out);
    const log = (name: string): string => readFileSync(join(dir, 'eval-run', 'logs', name), 'utf8');
    expect(log('shard-3.err')).toMatch(/^fuseflow eval: shard 3\/4: [\d,]+ rows from \d+ files? → /);
    // The round ran on the shards: the plan job planned it, each pass task read its own share, the merge read nothing.
    expect(log('plan.err')).toMatch(/^fuseflow eval merge: round 2 needed \(auc: exact order inside \d+ score bins/);
    expect(log('pass-3.err')).toMatch(/^fuseflow eval: shard 3\/4: round 2 \(auc: .*\): [\d,]+ rows → /);
    expect(log('merge.err')).toBe(`merged 4 shards into ${join(dir, 'eval-run', 'result.json')}\n`);
  }, 600_000);

  it('submitted again over a run folder holding a pass file of an earlier plan: the map steps and the pass steps of this plan exit at once (their files byte-identical), the stale file is replaced (said in its log), the merge gives the same JSON', async () => {
    const cluster = slurm as SlurmCluster;
    const run = join(dir, 'eval-run');
    const first = readFileSync(join(run, 'result.json'), 'utf8');
    const mapFiles = [0, 1, 2, 3].map((i) => join(run, 'states', `shard-${i}-of-4.state`));
    const mapBytes = mapFiles.map((f) => readFileSync(f));
    const idBytes = mapFiles.map((f) => readFileSync(`${f}.ids`));
    // Shard 1's pass file now holds a pass of another plan of the same run (the plan copied to another path is another plan).
    const stale = join(run, 'states', 'pass-1-shard-1-of-4.state');
    const old = await sh(
      `cp eval-run/plan-1.state eval-run/plan-old.state && ${FUSEFLOW_FROM_SOURCES} eval ${ARGS.replace(' --json', '')} --shard 1/4 --pass eval-run/plan-old.state --state-out ${stale} --overwrite`,
      dir,
    );
    expect(old.code, old.err).toBe(0);
    expect(readStateFile(stale).header.plan?.path).toBe(join(run, 'plan-old.state'));
    await expectCompleted(cluster, await submit(cluster, dir, 'eval.sbatch', 4));
    const log = (name: string): string => readFileSync(join(run, 'logs', name), 'utf8');
    for (const [i, f] of mapFiles.entries()) {
      expect(log(`shard-${i}.err`)).toBe(`fuseflow eval: shard ${i}/4: ${f} already holds this shard's state of this run (same inputs, flags and metrics); nothing read\n`);
      expect(readFileSync(f).equals(mapBytes[i] as Buffer)).toBe(true);
      expect(readFileSync(`${f}.ids`).equals(idBytes[i] as Buffer)).toBe(true);
    }
    expect(log('pass-0.err')).toContain(`already holds this shard's pass of this plan (same checksum); nothing read`);
    expect(log('pass-1.err')).toContain(`replacing ${stale}, this shard's pass of an earlier plan (${join(run, 'plan-old.state')}, `);
    expect(readStateFile(stale).header.plan?.path).toBe(join(run, 'plan-1.state'));
    expect(readFileSync(join(run, 'result.json'), 'utf8')).toBe(first);
  }, 600_000);

  it("float32 scores: the plan job refines AUC from the shards' kept keys (a complete plan), the pass tasks read nothing, the merge gives the JSON of one fuseflow eval", async () => {
    const cluster = slurm as SlurmCluster;
    writePredictions(join(dir, 'preds32'), 7, 3_000, true);
    const args32 = ARGS.replace("'preds/*.arrow'", "'preds32/*.arrow'");
    const single = await sh(`${FUSEFLOW_FROM_SOURCES} eval ${args32}`, dir);
    expect(single.code, single.err).toBe(0);
    const emitted = await sh(
      `${FUSEFLOW_FROM_SOURCES} emit slurm eval ${args32} --shards 4 --cpus-per-task 1 --time 10:00 --fuseflow '${FUSEFLOW_FROM_SOURCES}' --out eval32.sbatch --run-dir eval32-run`,
      dir,
    );
    expect(emitted.code, emitted.err).toBe(0);
    await expectCompleted(cluster, await submit(cluster, dir, 'eval32.sbatch', 4));
    const run = join(dir, 'eval32-run');
    expect(readFileSync(join(run, 'result.json'), 'utf8')).toBe(single.out);
    const log = (name: string): string => readFileSync(join(run, 'logs', name), 'utf8');
    expect(log('plan.err')).not.toContain('round 2 needed');
    expect(readStateFile(join(run, 'plan-1.state')).header).toMatchObject({ kind: 'plan', round: 2, complete: true, passes: [] });
    for (let i = 0; i < 4; i++) expect(log(`pass-${i}.err`)).toContain(`shard ${i}/4: round 2: the plan is complete (no metric needs another pass); nothing read`);
  }, 600_000);

  it('a failing shard fails its array task (its error in the log) and cancels the jobs after it', async () => {
    const cluster = slurm as SlurmCluster;
    const bad = `--input 'missing/*.arrow' --pred pred --target target --json --no-progress`;
    const emitted = await sh(`${FUSEFLOW_FROM_SOURCES} emit slurm eval ${bad} --shards 2 --fuseflow '${FUSEFLOW_FROM_SOURCES}' --out bad.sbatch`, dir);
    expect(emitted.code, emitted.err).toBe(0);
    const jobs = await submit(cluster, dir, 'bad.sbatch', 2);
    const states = await cluster.waitForJobs([jobs.array, jobs.plan, jobs.merge], 240_000);
    expect(states, cluster.logs()).toEqual([`${jobs.array}_0 FAILED`, `${jobs.array}_1 FAILED`, `${jobs.plan} CANCELLED`, `${jobs.merge} CANCELLED`]);
    // The pass array never started: cancelled whole (one line for its pending tasks).
    expect(cluster.command('scontrol', ['show', 'job', '-o', jobs.pass])).toContain('JobState=CANCELLED');
    expect(readFileSync(join(dir, 'bad-run', 'logs', 'shard-1.err'), 'utf8')).toContain('missing/*.arrow');
    expect(existsSync(join(dir, 'bad-run', 'result.json'))).toBe(false);
  }, 600_000);
});
