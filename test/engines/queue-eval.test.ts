/**
 * `fuseflow submit eval` + `fuseflow worker` on a real Redis (test/engines/redis.ts): 5 CSV files
 * of predictions evaluated as 4 shard jobs and a merge job by 2 worker processes print exactly
 * the JSON one `fuseflow eval` prints (bootstrap CIs keyed by row id included); a shard whose
 * file is bad is retried --attempts times and the submitter exits 1 naming it and its error; jobs
 * that are not whitelisted fuseflow command lines are refused without being run or retried.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Job, Queue } from 'bullmq';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { queueConnection, QUEUE_NAME } from '../../src/cli/queue/queue-url.js';
import { tempFolder } from '../temp-folder.js';
import { describeEngine } from './engine-suite.js';
import { FUSEFLOW_NODE_ARGS, REDIS_PACKAGES, redisMissing, startFuseflow, startRedis, type RedisServer } from './redis.js';

/** Writes `files` CSV files of `rows` seeded predictions (id, p, y) into `dir`. */
function writePredictions(dir: string, files: number, rows: number): void {
  mkdirSync(dir, { recursive: true });
  const rng = Rng.fromParts(['queue-eval-test']);
  for (let f = 0; f < files; f++) {
    const lines = ['id,p,y'];
    for (let i = 0; i < rows; i++) {
      const y = rng.bool(0.4);
      const p = Math.min(1, Math.max(0, rng.normal(y ? 0.62 : 0.4, 0.2)));
      lines.push(`f${f}-${i},${p.toFixed(6)},${y ? 1 : 0}`);
    }
    writeFileSync(join(dir, `part-${f}.csv`), `${lines.join('\n')}\n`);
  }
}

describeEngine('fuseflow submit/worker eval on a real Redis', redisMissing, REDIS_PACKAGES, () => {
  const { dir } = tempFolder('fuseflow-queue-eval-');
  let redis: RedisServer | undefined;
  beforeAll(async () => {
    redis = await startRedis('eval');
  }, 30_000);
  afterAll(async () => {
    await redis?.stop();
  }, 30_000);
  const queueFlags = (): string[] => ['--queue', (redis as RedisServer).url, '--prefix', (redis as RedisServer).prefix];

  it('4 shard jobs + merge on 2 workers print the JSON of one fuseflow eval', async () => {
    writePredictions(join(dir, 'preds'), 5, 3000);
    const evalFlags = ['--input', 'preds/*.csv', '--pred', 'p', '--target', 'y', '--id', 'id', '--ci', '200', '--json'];
    const one = spawnSync(process.execPath, [...FUSEFLOW_NODE_ARGS, 'eval', ...evalFlags], { cwd: dir, encoding: 'utf8' });
    expect(one.status, one.stderr).toBe(0);

    const submit = startFuseflow(['submit', 'eval', ...evalFlags, ...queueFlags(), '--shards', '4', '--run-dir', 'run', '--run-id', 'evalrun'], dir);
    await submit.waitForErr(/enqueued run evalrun: 4 shard jobs, then merge/, 30_000);
    const workers = [0, 1].map(() => startFuseflow(['worker', ...queueFlags(), '--exit-when-idle'], dir));
    const done = await submit.exited;
    expect(done.code, submit.err()).toBe(0);
    expect(submit.out()).toBe(one.stdout);
    expect(JSON.parse(submit.out())).toHaveProperty('metrics.auc');
    expect(submit.err()).toMatch(/shards 4\/4 done · 15,000 rows/);
    for (const w of workers) expect((await w.exited).code, w.err()).toBe(0);
    // Every job ran once (which worker took which depends on their start-up times).
    const started = workers.map((w) => (w.err().match(/ started: fuseflow /g) ?? []).length);
    expect(started.reduce((a, b) => a + b, 0)).toBe(5);
    // Each shard's state and (--id) the digests of its ids, which the merge checks for an id read twice.
    expect(readdirSync(join(dir, 'run', 'states')).sort()).toEqual([0, 1, 2, 3].flatMap((i) => [`shard-${i}-of-4.state`, `shard-${i}-of-4.state.ids`]));
    // The merge needed no refinement pass: it wrote its plan marked complete.
    expect(readdirSync(join(dir, 'run')).sort()).toEqual(['plan-1.state', 'states']);
  }, 180_000);

  it('a failing shard is retried, then the submitter exits 1 naming it and its error', async () => {
    const bad = join(dir, 'bad');
    writePredictions(bad, 3, 200);
    writeFileSync(join(bad, 'part-2.csv'), 'id,p,y\nz1,0.5,1\nz2,abc,0\n');
    const submit = startFuseflow(
      [
        'submit',
        'eval',
        '--input',
        'bad/*.csv',
        '--pred',
        'p',
        '--target',
        'y',
        '--json',
        ...queueFlags(),
        '--shards',
        '3',
        '--run-dir',
        'badrun',
        '--run-id',
        'badrun',
        '--attempts',
        '2',
        '--backoff',
        '200',
      ],
      dir,
    );
    await submit.waitForErr(/enqueued run badrun/, 30_000);
    const worker = startFuseflow(['worker', ...queueFlags(), '--exit-when-idle', '--concurrency', '2'], dir);
    const done = await submit.exited;
    expect(done.code).toBe(1);
    expect(submit.out()).toBe('');
    expect(submit.err()).toMatch(
      /run badrun failed:\nshard 2\/3 \(job badrun-shard-2\) failed after 2 attempts: exit 1: .*bad\/part-2\.csv:line 3: column 'p': score "abc" is not a decimal number/,
    );
    expect((await worker.exited).code, worker.err()).toBe(0);
    expect((worker.err().match(/job badrun-shard-2 \(shard 2\/3, attempt \d\/2\) started/g) ?? []).length).toBe(2);
    // The merge never ran.
    expect(worker.err()).not.toMatch(/badrun-merge \(eval merge, attempt/);
    const queue = new Queue(QUEUE_NAME, { connection: queueConnection((redis as RedisServer).url), prefix: (redis as RedisServer).prefix });
    try {
      const shard = await Job.fromId(queue, 'badrun-shard-2');
      expect(shard?.attemptsMade).toBe(2);
      expect(await shard?.getState()).toBe('failed');
      expect(await (await Job.fromId(queue, 'badrun-merge'))?.getState()).toBe('failed');
    } finally {
      await queue.close();
    }
  }, 180_000);

  it('a merge job of 4,096 state files (a 400 KB command line, past the 128 KiB an argument may hold) reaches fuseflow eval merge', async () => {
    const states = Array.from({ length: 4096 }, (_, i) => join(dir, 'no-such-run', 'states', `shard-${i}-of-4096.state`));
    const queue = new Queue(QUEUE_NAME, { connection: queueConnection((redis as RedisServer).url), prefix: (redis as RedisServer).prefix });
    try {
      await queue.add('merge', { v: 1, step: 'final', argv: ['eval', 'merge', ...states, '--json'], cwd: dir }, { jobId: 'long-merge', attempts: 1 });
      const worker = startFuseflow(['worker', ...queueFlags(), '--once'], dir);
      expect((await worker.exited).code, worker.err()).toBe(0);
      const job = await Job.fromId(queue, 'long-merge');
      expect(await job?.getState()).toBe('failed');
      expect(job?.failedReason).toBe(`exit 1: fuseflow eval: ${states[0]}: cannot read the state file: ENOENT: no such file or directory, open '${states[0]}'`);
    } finally {
      await queue.close();
    }
  }, 120_000);

  it('refuses jobs that are not whitelisted fuseflow command lines, without running or retrying them', async () => {
    const victim = join(dir, 'victim');
    mkdirSync(victim);
    writeFileSync(join(victim, 'keep.txt'), 'x');
    const marker = join(dir, 'module-was-imported');
    const module = join(dir, 'evil-dataset.mjs');
    writeFileSync(
      module,
      `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'imported');\nexport const ids = ['a'];\nexport const staticPipeline = [];\n`,
    );
    const payloads: Record<string, unknown> = {
      'cache-delete': { v: 1, step: 'shard', argv: ['cache', 'delete', victim], cwd: dir },
      'a-shell': { v: 1, step: 'shard', argv: ['sh', '-c', `rm -rf ${victim}`], cwd: dir },
      'eval-not-a-shard': { v: 1, step: 'shard', argv: ['eval', '--input', 'preds/*.csv', '--pred', 'p', '--target', 'y', '--report', join(victim, 'r.html')], cwd: dir },
      'eval-seg': { v: 1, step: 'shard', argv: ['eval', 'seg', '--pred-dir', victim, '--truth-dir', victim], cwd: dir },
      'fill-unlisted-module': { v: 1, step: 'shard', argv: ['cache', 'fill', module, '--shards', '1', '--index', '0', '--to', join(dir, 'x')], cwd: dir },
      'commit-extra-option': { v: 1, step: 'final', argv: ['cache', 'commit', victim, '--overwrite'], cwd: dir },
      'relative-cwd': { v: 1, step: 'final', argv: ['cache', 'commit', 'victim'], cwd: 'tmp' },
      'not-an-object': 'cache commit victim',
    };
    const queue = new Queue(QUEUE_NAME, { connection: queueConnection((redis as RedisServer).url), prefix: (redis as RedisServer).prefix });
    try {
      for (const [id, data] of Object.entries(payloads)) await queue.add(id, data, { jobId: `refused-${id}`, attempts: 3, backoff: { type: 'fixed', delay: 100 } });
      const worker = startFuseflow(['worker', ...queueFlags(), '--exit-when-idle'], dir);
      expect((await worker.exited).code, worker.err()).toBe(0);
      for (const id of Object.keys(payloads)) {
        const job = await Job.fromId(queue, `refused-${id}`);
        expect(await job?.getState(), id).toBe('failed');
        expect(job?.attemptsMade, id).toBe(1);
        expect(job?.failedReason, id).toMatch(/^queue job refused: /);
      }
      expect((await Job.fromId(queue, 'refused-fill-unlisted-module'))?.failedReason).toContain(`cache fill imports the dataset module ${module}, and this worker allows none`);
      expect((await Job.fromId(queue, 'refused-a-shell'))?.failedReason).toContain("'sh -c' is not one of them");
      expect(worker.err()).not.toMatch(/ started: fuseflow /);
      expect(existsSync(join(victim, 'keep.txt'))).toBe(true);
      expect(existsSync(marker)).toBe(false);
    } finally {
      await queue.close();
    }
  }, 120_000);
});
