/**
 * `fuseflow emit slurm eval` on a real one-node Slurm: the emitted script is submitted with
 * `bash FILE` as a user would, the array job and the dependent merge job run the CLI, and the
 * merged JSON equals one `fuseflow eval` over all the files.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RecordBatchFileWriter, tableFromArrays } from 'apache-arrow';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { tempFolder } from '../temp-folder.js';
import { describeEngine } from './engine-suite.js';
import { FUSEFLOW_FROM_SOURCES, SLURM_PACKAGES, sh, slurmMissing, startSlurm, type SlurmCluster } from './slurm.js';

/** `files` Arrow files of binary predictions (id, pred, target), seeded, with ties across files. */
function writePredictions(dir: string, files: number, rowsPerFile: number): void {
  const rng = Rng.fromParts([11, 'slurm-eval']);
  mkdirSync(dir, { recursive: true });
  for (let f = 0; f < files; f++) {
    const target = Int8Array.from({ length: rowsPerFile }, () => (rng.next() < 0.4 ? 1 : 0));
    const pred = Float64Array.from(target, (y) => Math.round(Math.min(1, Math.max(0, 0.3 + 0.3 * y + 0.5 * (rng.next() - 0.5))) * 50) / 50);
    const id = Array.from({ length: rowsPerFile }, (_, i) => `f${f}-${i}`);
    const writer = new RecordBatchFileWriter();
    for (const batch of tableFromArrays({ id, pred, target }).batches) writer.write(batch);
    writer.finish();
    writeFileSync(join(dir, `part-${f}.arrow`), writer.toUint8Array(true));
  }
}

const ARGS = `--input 'preds/*.arrow' --pred pred --target target --id id --ci 20 --seed 5 --json --no-progress`;

describeEngine('fuseflow emit slurm eval on a real one-node Slurm', slurmMissing, SLURM_PACKAGES, () => {
  const { dir } = tempFolder('fuseflow-slurm-eval-');
  let slurm: SlurmCluster | undefined;
  beforeAll(async () => {
    slurm = await startSlurm();
  }, 90_000);
  afterAll(async () => {
    await slurm?.stop();
  }, 60_000);

  it('array job + afterok merge job give the JSON of one fuseflow eval run', async () => {
    const cluster = slurm as SlurmCluster;
    writePredictions(join(dir, 'preds'), 7, 120);
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
    const submitted = await sh('bash eval.sbatch', dir, cluster.env);
    expect(submitted.err).toBe('');
    const ids = /array job (\d+) \(4 shards\), merge job (\d+)/.exec(submitted.out);
    expect(ids, submitted.out).not.toBeNull();
    const [, arrayJob = '', mergeJob = ''] = ids ?? [];
    const states = await cluster.waitForJobs([arrayJob, mergeJob], 240_000);
    expect(states, cluster.logs()).toEqual([0, 1, 2, 3].map((i) => `${arrayJob}_${i} COMPLETED`).concat(`${mergeJob} COMPLETED`));

    const merged: unknown = JSON.parse(readFileSync(join(dir, 'eval-run', 'result.json'), 'utf8'));
    expect(merged).toEqual(JSON.parse(single.out));
    expect(readFileSync(join(dir, 'eval-run', 'logs', 'shard-3.err'), 'utf8')).toMatch(/^fuseflow eval: shard 3\/4: \d+ rows from \d+ files? → /);
  }, 600_000);

  it('a failing shard fails its array task (its error in the log) and cancels the merge job', async () => {
    const cluster = slurm as SlurmCluster;
    const bad = `--input 'missing/*.arrow' --pred pred --target target --json --no-progress`;
    const emitted = await sh(`${FUSEFLOW_FROM_SOURCES} emit slurm eval ${bad} --shards 2 --fuseflow '${FUSEFLOW_FROM_SOURCES}' --out bad.sbatch`, dir);
    expect(emitted.code, emitted.err).toBe(0);
    const submitted = await sh('bash bad.sbatch', dir, cluster.env);
    const [, arrayJob = '', mergeJob = ''] = /array job (\d+) \(2 shards\), merge job (\d+)/.exec(submitted.out) ?? [];
    const states = await cluster.waitForJobs([arrayJob, mergeJob], 240_000);
    expect(states, cluster.logs()).toEqual([`${arrayJob}_0 FAILED`, `${arrayJob}_1 FAILED`, `${mergeJob} CANCELLED`]);
    expect(readFileSync(join(dir, 'bad-run', 'logs', 'shard-1.err'), 'utf8')).toContain('missing/*.arrow');
    expect(existsSync(join(dir, 'bad-run', 'result.json'))).toBe(false);
  }, 600_000);
});
