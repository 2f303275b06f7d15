/**
 * `fuseflow submit cache-fill` + `fuseflow worker` on a real Redis (test/engines/redis.ts): the
 * 240-id dataset module of the sharded-cache tests filled as 3 shard jobs and a commit job. The
 * first worker is SIGKILLed mid-shard (after its shard committed 3 ids): its child process ends
 * with it, the shard's lock expires, and two more workers redo that shard (resuming its local
 * environment) and the others. The committed manifest equals a one-process fill byte for byte,
 * every payload recomputes equal (`cache verify --recompute`), and each shard is published once.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Job, Queue } from 'bullmq';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { queueConnection, QUEUE_NAME } from '../../src/cli/queue/queue-url.js';
import { tempFolder } from '../temp-folder.js';
import { describeEngine } from './engine-suite.js';
import { FUSEFLOW_NODE_ARGS, REDIS_PACKAGES, redisMissing, startFuseflow, startRedis, type RedisServer } from './redis.js';

const MODULE = resolve('test/cache/sharded/shard-dataset.ts');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The PIDs of `pid`'s children (Linux /proc). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

describeEngine('fuseflow submit/worker cache-fill on a real Redis', redisMissing, REDIS_PACKAGES, () => {
  const { dir } = tempFolder('fuseflow-queue-fill-');
  let redis: RedisServer | undefined;
  beforeAll(async () => {
    redis = await startRedis('fill');
  }, 30_000);
  afterAll(async () => {
    await redis?.stop();
  }, 30_000);

  it('a worker SIGKILLed mid-shard: the shard is redone, the cache equals a one-process fill', async () => {
    const r = redis as RedisServer;
    const queueFlags = ['--queue', r.url, '--prefix', r.prefix];
    const fuseflow = (args: string[]): ReturnType<typeof spawnSync> => spawnSync(process.execPath, [...FUSEFLOW_NODE_ARGS, ...args], { cwd: dir, encoding: 'utf8' });
    const single = fuseflow(['cache', 'fill', MODULE, '--shards', '1', '--to', 'single', '--local', 'local-single']);
    expect(single.status, String(single.stderr)).toBe(0);
    expect(fuseflow(['cache', 'commit', 'single']).status).toBe(0);

    const submit = startFuseflow(['submit', 'cache-fill', MODULE, '--progress', '--to', 'shared', ...queueFlags, '--shards', '3', '--run-id', 'fill', '--backoff', '200'], dir);
    await submit.waitForErr(/enqueued run fill: 3 shard jobs, then commit/, 30_000);
    const workerFlags = ['worker', ...queueFlags, '--allow-module', MODULE, '--lock-ms', '2000'];
    const first = startFuseflow(workerFlags, dir);
    await first.waitForErr(/\[fill-shard-\d\] committed .*\n(.*\n)*.*\[fill-shard-\d\] committed .*\n(.*\n)*.*\[fill-shard-\d\] committed /, 60_000);
    const killedShard = /job (fill-shard-\d) \(shard \d\/3, attempt 1\/3\) started/.exec(first.err())?.[1] as string;
    const pid = first.child.pid as number;
    const shardProcesses = childrenOf(pid);
    expect(shardProcesses).toHaveLength(1);
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    // The shard's process ends with its worker (its stdin from the worker closes).
    for (let t = 0; t < 100 && shardProcesses.some(alive); t++) await sleep(50);
    expect(shardProcesses.filter(alive)).toEqual([]);
    expect(first.err()).not.toMatch(new RegExp(`job ${killedShard} \\(shard \\d/3\\) done`));

    const others = [0, 1].map(() => startFuseflow([...workerFlags, '--exit-when-idle'], dir));
    const done = await submit.exited;
    expect(done.code, `${submit.err()}\n${others.map((w) => w.err()).join('\n')}`).toBe(0);
    expect(submit.out()).toMatch(/committed 3 shards, 240 ids, \d+ manifest rows/);
    for (const w of others) expect((await w.exited).code, w.err()).toBe(0);
    // The killed shard was started again by one of the others and finished there.
    const redone = others.filter((w) => new RegExp(`job ${killedShard} \\(shard \\d/3, attempt 1/3\\) started`).test(w.err()));
    expect(redone).toHaveLength(1);
    expect(redone[0]?.err()).toMatch(new RegExp(`job ${killedShard} \\(shard \\d/3\\) done`));
    expect(redone[0]?.err()).toMatch(/already in the local environment/);

    expect(readFileSync(join(dir, 'shared', 'manifest.arrow'))).toEqual(readFileSync(join(dir, 'single', 'manifest.arrow')));
    expect(readdirSync(join(dir, 'shared', 'shards')).sort()).toHaveLength(3);
    const verify = fuseflow(['cache', 'verify', 'shared', '--recompute', '--ops-module', MODULE]);
    expect(String(verify.stdout)).toMatch(/entries checked \(recomputed\), 0 problem\(s\)/);
    expect(verify.status).toBe(0);

    const queue = new Queue(QUEUE_NAME, { connection: queueConnection(r.url), prefix: r.prefix });
    try {
      const counts = await queue.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed', 'waiting-children');
      expect(counts).toMatchObject({ completed: 4, failed: 0, waiting: 0, active: 0, delayed: 0, 'waiting-children': 0 });
      const killed = await Job.fromId(queue, killedShard);
      expect(killed?.stalledCounter).toBe(1);
    } finally {
      await queue.close();
    }
  }, 300_000);
});
