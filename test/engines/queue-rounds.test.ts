/**
 * Refinement rounds through the queue (`fuseflow submit eval` + 2 `fuseflow worker`s on a real
 * Redis, test/engines/redis.ts): 80,000 predictions in 8 Arrow files, whose AUC/AP need an exact
 * refinement pass. The map step's merge writes RUN/plan-1.state instead of results; the worker
 * that ran it adds round 2 (4 pass shards under their merge); one worker is SIGKILLed while it runs
 * a round-2 shard, the other redoes that shard once the lock expires. The submitter prints exactly
 * the JSON one `fuseflow eval` process prints; every job completed once, the round-2 merge read one
 * file per shard, and no merge read the inputs. A retried round-1 merge adds no second round 2.
 * Over float32 scores the round-1 merge refines from the shards' kept keys: no round 2 at all.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FlowProducer, Job, Queue } from 'bullmq';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { checkJob } from '../../src/cli/queue/job-line.js';
import { addNextRound } from '../../src/cli/queue/next-round.js';
import { queueConnection, QUEUE_NAME } from '../../src/cli/queue/queue-url.js';
import { readStateFile } from '../../src/eval/shard/state-file.js';
import { writePredictionFiles } from '../eval/shard/prediction-files.js';
import { tempFolder } from '../temp-folder.js';
import { describeEngine } from './engine-suite.js';
import { FUSEFLOW_NODE_ARGS, REDIS_PACKAGES, redisMissing, startFuseflow, startRedis, type FuseflowProcess, type RedisServer } from './redis.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The first of `procs` whose stderr matches `pattern` (polled), with the match. */
async function firstToPrint(procs: readonly FuseflowProcess[], pattern: RegExp, ms: number): Promise<{ proc: FuseflowProcess; match: RegExpExecArray }> {
  const deadline = Date.now() + ms;
  for (;;) {
    for (const proc of procs) {
      const match = pattern.exec(proc.err());
      if (match !== null) return { proc, match };
    }
    if (Date.now() > deadline) throw new Error(`no process printed ${String(pattern)} within ${ms} ms:\n${procs.map((p) => p.err()).join('\n----\n')}`);
    await sleep(20);
  }
}

describeEngine('fuseflow submit eval: refinement rounds through a real Redis', redisMissing, REDIS_PACKAGES, () => {
  const { dir } = tempFolder('fuseflow-queue-rounds-');
  let redis: RedisServer | undefined;
  beforeAll(async () => {
    redis = await startRedis('rounds');
    mkdirSync(join(dir, 'data'));
    writePredictionFiles(join(dir, 'data'), { files: 8, rows: 80_000, batchRows: 2_500, seed: 21 });
  }, 30_000);
  afterAll(async () => {
    await redis?.stop();
  }, 30_000);

  it('map(4) → merge → round 2 (4 pass shards, one worker killed mid-shard) → merge prints the JSON of one fuseflow eval; every job done once', async () => {
    const r = redis as RedisServer;
    const queueFlags = ['--queue', r.url, '--prefix', r.prefix];
    const evalFlags = ['--input', 'data/part-*.arrow', '--pred', 'pred', '--target', 'target', '--json'];
    const one = spawnSync(process.execPath, [...FUSEFLOW_NODE_ARGS, 'eval', ...evalFlags, '--no-progress'], { cwd: dir, encoding: 'utf8' });
    expect(one.status, one.stderr).toBe(0);

    const submit = startFuseflow(['submit', 'eval', ...evalFlags, ...queueFlags, '--shards', '4', '--run-dir', 'run', '--run-id', 'rr', '--backoff', '100'], dir);
    await submit.waitForErr(/enqueued run rr: 4 shard jobs, then merge/, 30_000);
    // A short lock: a killed worker's job is redone within seconds.
    const workers = [0, 1].map(() => startFuseflow(['worker', ...queueFlags, '--lock-ms', '2000', '--exit-when-idle'], dir));
    const { proc: victim, match } = await firstToPrint(workers, /job (rr-pass-1-shard-\d) \(shard \d\/4, attempt 1\/3\) started/, 120_000);
    const killedJob = match[1] as string;
    victim.child.kill('SIGKILL');
    const survivor = workers.find((w) => w !== victim) as FuseflowProcess;

    const done = await submit.exited;
    expect(done.code, `${submit.err()}\n----\n${survivor.err()}`).toBe(0);
    expect(submit.out()).toBe(one.stdout);
    expect(submit.err()).toMatch(/fuseflow submit: round 1 merged: round 2 needed \(auc: exact order inside \d+ score bins .*\): 4 pass shard jobs, then rr-pass-1-merge/);
    expect(submit.err()).toMatch(/round 2: shards 4\/4 done · 80,000 rows/);
    expect(submit.err()).toMatch(/run rr done: 4 shards × 2 rounds and merge in /);
    expect((await survivor.exited).code, survivor.err()).toBe(0);
    expect((await victim.exited).signal).toBe('SIGKILL');

    // The survivor redid the killed shard; every job of both rounds completed exactly once.
    expect(survivor.err()).toMatch(new RegExp(`job ${killedJob} \\(shard \\d/4, attempt \\d/3\\) started`));
    const doneIds = workers.flatMap((w) => [...w.err().matchAll(/job (\S+) \([^)]*\) done in /g)].map((m) => m[1] as string));
    const ids = ['rr-merge', 'rr-pass-1-merge', ...[0, 1, 2, 3].flatMap((i) => [`rr-shard-${i}`, `rr-pass-1-shard-${i}`])];
    expect([...doneIds].sort()).toEqual([...ids].sort());
    // The round-2 merge read each shard's pass file once (fixed names, one per shard), and the inputs not at all.
    const merges = workers.flatMap((w) => [...w.err().matchAll(/job rr-pass-1-merge \(eval merge, attempt \d\/3\) started: fuseflow (.*)$/gm)].map((m) => m[1] as string));
    expect(merges.length).toBeGreaterThanOrEqual(1);
    for (const line of merges) {
      for (let i = 0; i < 4; i++) expect(line.split(`pass-1-shard-${i}-of-4.state`).length - 1).toBe(1);
      expect(line).toContain('--next-pass-out');
    }
    expect(`${survivor.err()}${victim.err()}`).not.toMatch(/without --next-pass-out this process reads the inputs/);
    expect(
      readdirSync(join(dir, 'run', 'states'))
        .filter((f) => f.endsWith('.state') && !f.startsWith('.'))
        .sort(),
    ).toEqual([0, 1, 2, 3].flatMap((i) => [`pass-1-shard-${i}-of-4.state`, `shard-${i}-of-4.state`]).sort());
    expect(readStateFile(join(dir, 'run', 'plan-1.state')).header).toMatchObject({ kind: 'plan', round: 2, complete: false, rows: 80_000 });
    expect(readStateFile(join(dir, 'run', 'plan-2.state')).header).toMatchObject({ kind: 'plan', round: 3, complete: true });

    // A retried round-1 merge (its worker died after adding round 2) finds round 2 and adds nothing.
    const queue = new Queue(QUEUE_NAME, { connection: queueConnection(r.url), prefix: r.prefix });
    const flow = new FlowProducer({ connection: queueConnection(r.url), prefix: r.prefix });
    try {
      const counts = await queue.getJobCounts();
      const merge = checkJob((await Job.fromId(queue, 'rr-merge'))?.data, { allowModules: [] });
      expect(await addNextRound(merge, queue, flow, { allowModules: [] })).toMatchObject({ round: 2, mergeId: 'rr-pass-1-merge', added: false });
      expect(await queue.getJobCounts()).toEqual(counts);
      expect(await (await Job.fromId(queue, 'rr-pass-1-merge'))?.getState()).toBe('completed');
      // The round-2 merge's plan says complete: no round 3.
      const last = checkJob((await Job.fromId(queue, 'rr-pass-1-merge'))?.data, { allowModules: [] });
      expect(await addNextRound(last, queue, flow, { allowModules: [] })).toBeUndefined();
    } finally {
      await flow.close();
      await queue.close();
    }
  }, 240_000);

  it("float32 scores: the round-1 merge refines from the shards' kept keys and prints the JSON of one fuseflow eval; no round 2 is added", async () => {
    const r = redis as RedisServer;
    mkdirSync(join(dir, 'data32'));
    writePredictionFiles(join(dir, 'data32'), { files: 8, rows: 80_000, batchRows: 2_500, seed: 22, float32: true });
    const queueFlags = ['--queue', r.url, '--prefix', r.prefix];
    const evalFlags = ['--input', 'data32/part-*.arrow', '--pred', 'pred', '--target', 'target', '--json'];
    const one = spawnSync(process.execPath, [...FUSEFLOW_NODE_ARGS, 'eval', ...evalFlags, '--no-progress'], { cwd: dir, encoding: 'utf8' });
    expect(one.status, one.stderr).toBe(0);
    const submit = startFuseflow(['submit', 'eval', ...evalFlags, ...queueFlags, '--shards', '4', '--run-dir', 'run32', '--run-id', 'rk'], dir);
    await submit.waitForErr(/enqueued run rk: 4 shard jobs, then merge/, 30_000);
    const workers = [0, 1].map(() => startFuseflow(['worker', ...queueFlags, '--exit-when-idle'], dir));
    const done = await submit.exited;
    expect(done.code, submit.err()).toBe(0);
    expect(submit.out()).toBe(one.stdout);
    expect(submit.err()).toMatch(/run rk done: 4 shards and merge in /);
    expect(submit.err()).not.toMatch(/round 2 needed/);
    for (const w of workers) expect((await w.exited).code, w.err()).toBe(0);
    const doneIds = workers.flatMap((w) => [...w.err().matchAll(/job (\S+) \([^)]*\) done in /g)].map((m) => m[1] as string));
    expect([...doneIds].sort()).toEqual(['rk-merge', ...[0, 1, 2, 3].map((i) => `rk-shard-${i}`)].sort());
    expect(readStateFile(join(dir, 'run32', 'plan-1.state')).header).toMatchObject({ kind: 'plan', round: 2, complete: true, passes: [], rows: 80_000 });
    expect(readdirSync(join(dir, 'run32', 'states')).filter((f) => f.startsWith('pass-'))).toEqual([]);
  }, 240_000);
});
