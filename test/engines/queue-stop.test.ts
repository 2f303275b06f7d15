/**
 * Stopping `fuseflow worker` on a real Redis (test/engines/redis.ts): SIGTERM mid-shard finishes
 * the running shard (it is done, not redone) and takes no new job; `--once` takes exactly one
 * job; `--exit-when-idle` stays until the commit job has run.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tempFolder } from '../temp-folder.js';
import { describeEngine } from './engine-suite.js';
import { REDIS_PACKAGES, redisMissing, startFuseflow, startRedis, type RedisServer } from './redis.js';

const MODULE = resolve('test/cache/sharded/shard-dataset.ts');

describeEngine('fuseflow worker stops on a real Redis', redisMissing, REDIS_PACKAGES, () => {
  const { dir } = tempFolder('fuseflow-queue-stop-');
  let redis: RedisServer | undefined;
  beforeAll(async () => {
    redis = await startRedis('stop');
  }, 30_000);
  afterAll(async () => {
    await redis?.stop();
  }, 30_000);

  it('SIGTERM: the worker finishes its running shard and takes no new job; --once takes exactly one', async () => {
    const r = redis as RedisServer;
    const queueFlags = ['--queue', r.url, '--prefix', r.prefix];
    const submit = startFuseflow(
      ['submit', 'cache-fill', MODULE, '--threads', '0', '--progress', '--to', 'shared2', ...queueFlags, '--shards', '2', '--run-id', 'term', '--no-progress'],
      dir,
    );
    await submit.waitForErr(/enqueued run term/, 30_000);
    const workerFlags = ['worker', ...queueFlags, '--allow-module', MODULE];
    const first = startFuseflow(workerFlags, dir);
    await first.waitForErr(/\[term-shard-\d\] committed /, 60_000);
    first.child.kill('SIGTERM');
    expect((await first.exited).code, first.err()).toBe(0);
    expect(first.err()).toMatch(/SIGTERM: finishing 1 running job, taking no new one/);
    expect(first.err()).toMatch(/job term-shard-\d \(shard \d\/2\) done/);
    expect(first.err()).toMatch(/stopped after 1 job$/m);
    const once = startFuseflow([...workerFlags, '--once'], dir);
    expect((await once.exited).code, once.err()).toBe(0);
    expect((once.err().match(/ started: fuseflow /g) ?? []).length).toBe(1);
    expect(once.err()).toMatch(/stopped after 1 job$/m);
    const last = startFuseflow([...workerFlags, '--exit-when-idle'], dir);
    expect((await submit.exited).code, submit.err()).toBe(0);
    expect(submit.out()).toMatch(/committed 2 shards, 240 ids/);
    expect((await last.exited).code, last.err()).toBe(0);
    expect(last.err()).toMatch(/job term-commit \(cache commit, attempt 1\/3\) started/);
    expect((last.err().match(/ started: fuseflow /g) ?? []).length).toBe(1); // --once took the other shard
  }, 300_000);
});
