/**
 * `fuseflow emit slurm cache-fill` on a real one-node Slurm: 3 array tasks fill their shards of a
 * dataset module's static cache, the dependent job commits it; the manifest equals a
 * single-process fill's byte for byte and `cache verify --recompute` finds every payload equal to
 * a fresh run of the pipeline.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tempFolder } from '../temp-folder.js';
import { describeEngine } from './engine-suite.js';
import { FUSEFLOW_FROM_SOURCES, SLURM_PACKAGES, sh, slurmMissing, startSlurm, type SlurmCluster } from './slurm.js';

const MODULE = resolve('test/engines/slurm-dataset.ts');
// The jobs run in the test's temp folder, outside the repository: the fill's worker threads
// (default --threads) start from the TypeScript sources there too (src/core/workers.ts).
const FILL = MODULE;

describeEngine('fuseflow emit slurm cache-fill on a real one-node Slurm', slurmMissing, SLURM_PACKAGES, () => {
  const { dir } = tempFolder('fuseflow-slurm-fill-');
  let slurm: SlurmCluster | undefined;
  beforeAll(async () => {
    slurm = await startSlurm();
  }, 90_000);
  afterAll(async () => {
    await slurm?.stop();
  }, 60_000);

  it('array job + afterok commit job give the cache of one process', async () => {
    const cluster = slurm as SlurmCluster;
    const single = await sh(`${FUSEFLOW_FROM_SOURCES} cache fill ${FILL} --shards 1 --to single && ${FUSEFLOW_FROM_SOURCES} cache commit single`, dir);
    expect(single.code, single.err).toBe(0);

    const emitted = await sh(
      `${FUSEFLOW_FROM_SOURCES} emit slurm cache-fill ${FILL} --to shared --shards 3 --time 10:00 --fuseflow '${FUSEFLOW_FROM_SOURCES}' --out fill.sbatch`,
      dir,
    );
    expect(emitted.err).toBe('');
    expect(emitted.code).toBe(0);
    const submitted = await sh('bash fill.sbatch', dir, cluster.env);
    expect(submitted.err).toBe('');
    const [, arrayJob = '', commitJob = ''] = /array job (\d+) \(3 shards\), commit job (\d+)/.exec(submitted.out) ?? [];
    const states = await cluster.waitForJobs([arrayJob, commitJob], 240_000);
    expect(states, cluster.logs()).toEqual([0, 1, 2].map((i) => `${arrayJob}_${i} COMPLETED`).concat(`${commitJob} COMPLETED`));
    expect(readFileSync(join(dir, 'fill-run', 'logs', 'commit.out'), 'utf8')).toContain('committed 3 shards, 36 ids, 36 manifest rows');

    expect(readFileSync(join(dir, 'shared', 'manifest.arrow'))).toEqual(readFileSync(join(dir, 'single', 'manifest.arrow')));
    const verify = await sh(`${FUSEFLOW_FROM_SOURCES} cache verify shared --recompute --ops-module ${MODULE}`, dir);
    expect(verify.out).toContain('36 entries checked (recomputed), 0 problem(s)');
    expect(verify.code).toBe(0);
  }, 600_000);
});
