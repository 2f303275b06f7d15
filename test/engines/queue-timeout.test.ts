/**
 * Per-job time limits of `fuseflow worker --job-timeout` / `fuseflow submit --job-timeout`:
 * which limit applies, the whitelist's check of the job field, stopping a real process group
 * (SIGTERM, then SIGKILL for what ignores it), and on a real Redis (test/engines/redis.ts) an eval
 * shard that never ends — its input is a FIFO nobody writes to, so opening it blocks forever, the
 * way a shard stuck on a hung network filesystem does — stopped at the limit, retried, reported by
 * the submitter, with no state file left behind; the same worker then runs the next run's jobs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Job, Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkJob } from '../../src/cli/queue/job-line.js';
import { queueConnection, QUEUE_NAME } from '../../src/cli/queue/queue-url.js';
import { jobLimit, stopJob, type JobOutcome } from '../../src/cli/queue/run-job.js';
import { parseSubmit } from '../../src/cli/queue/submit-plan.js';
import { tempFolder } from '../temp-folder.js';
import { describeEngine } from './engine-suite.js';
import { FUSEFLOW_NODE_ARGS, REDIS_PACKAGES, redisMissing, startFuseflow, startRedis, type RedisServer } from './redis.js';

const { dir } = tempFolder('fuseflow-queue-timeout-');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Whether process `pid` still runs (a zombie, dead but not yet reaped, does not count). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Starts `sh -c SCRIPT` as a process-group leader (as startJob starts a job); its first stdout line is read. */
function startGroup(script: string): { child: ReturnType<typeof spawn>; done: Promise<JobOutcome>; firstLine: Promise<string> } {
  const child = spawn('sh', ['-c', script], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  const firstLine = new Promise<string>((resolve) =>
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0] as string);
    }),
  );
  const started = performance.now();
  const done = new Promise<JobOutcome>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout: out, truncated: false, stderrTail: '', seconds: (performance.now() - started) / 1000 })),
  );
  return { child, done, firstLine };
}

describe('job time limits (no Redis)', () => {
  it('the run asks (submit --job-timeout), the worker caps (worker --job-timeout)', () => {
    expect(jobLimit(undefined, undefined)).toBeUndefined();
    expect(jobLimit(undefined, 30)).toEqual({ seconds: 30, setBy: 'submit --job-timeout 30' });
    expect(jobLimit(600, undefined)).toEqual({ seconds: 600, setBy: 'worker --job-timeout 600' });
    expect(jobLimit(600, 30)).toEqual({ seconds: 30, setBy: 'submit --job-timeout 30; the worker allows 600' });
    expect(jobLimit(3, 600)).toEqual({ seconds: 3, setBy: "worker --job-timeout 3, which caps the run's 600" });
    expect(jobLimit(5, 5)).toEqual({ seconds: 5, setBy: 'submit and worker --job-timeout 5' });
  });

  it('submit --job-timeout goes into every job of the run; the whitelist takes only whole seconds from 1 to 2,000,000', () => {
    const Q = ['--queue', 'redis://127.0.0.1:6379', '--shards', '2'];
    const plan = parseSubmit(['eval', '--input', 'a.csv', '--pred', 'p', '--target', 'y', ...Q, '--run-dir', 'r', '--job-timeout', '90'], dir, 'r1');
    expect(plan.jobTimeoutS).toBe(90);
    expect([...plan.shardJobs, plan.finalJob].map((j) => j.timeoutS)).toEqual([90, 90, 90]);
    expect(parseSubmit(['eval', '--input', 'a.csv', '--pred', 'p', '--target', 'y', ...Q, '--run-dir', 'r'], dir, 'r1').finalJob).not.toHaveProperty('timeoutS');
    expect(() => parseSubmit(['eval', '--input', 'a.csv', '--pred', 'p', '--target', 'y', ...Q, '--run-dir', 'r', '--job-timeout', '0'], dir, 'r1')).toThrow(
      "--job-timeout must be an integer from 1 to 2000000, got '0'",
    );
    const job = { v: 1, step: 'final', argv: ['cache', 'commit', join(dir, 'x')], cwd: dir };
    expect(checkJob({ ...job, timeoutS: 2_000_000 }, { allowModules: [] }).timeoutS).toBe(2_000_000);
    expect(checkJob(job, { allowModules: [] })).not.toHaveProperty('timeoutS');
    for (const bad of [0, 1.5, '10', 2_000_001, null])
      expect(() => checkJob({ ...job, timeoutS: bad }, { allowModules: [] }), String(bad)).toThrow(
        `queue job refused: timeoutS must be a whole number of seconds from 1 to 2000000, got ${JSON.stringify(bad)}`,
      );
  });

  it('stopJob: SIGTERM to the whole process group; what ignores it gets SIGKILL after the grace period', async () => {
    // A job that ends on SIGTERM, with a grandchild in its group: both end at once.
    const polite = startGroup('sleep 300 & echo $!; wait');
    const politeGrandchild = Number(await polite.firstLine);
    expect(alive(politeGrandchild)).toBe(true);
    const t0 = performance.now();
    const first = await stopJob(polite, 60_000);
    expect(first.signal).toBe('SIGTERM');
    expect(performance.now() - t0).toBeLessThan(30_000); // far below the grace period: TERM ended it
    for (let i = 0; i < 100 && alive(politeGrandchild); i++) await sleep(50);
    expect(alive(politeGrandchild)).toBe(false);
    // A job whose processes ignore SIGTERM (inherited by the grandchild): SIGKILL after 300 ms.
    const stubborn = startGroup("trap '' TERM; sleep 300 & echo $!; wait; wait");
    const stubbornGrandchild = Number(await stubborn.firstLine);
    const second = await stopJob(stubborn, 300);
    expect(second.signal).toBe('SIGKILL');
    for (let i = 0; i < 100 && alive(stubbornGrandchild); i++) await sleep(50);
    expect(alive(stubbornGrandchild)).toBe(false);
  }, 60_000);
});

describeEngine('fuseflow worker --job-timeout on a real Redis', redisMissing, REDIS_PACKAGES, () => {
  let redis: RedisServer | undefined;
  beforeAll(async () => {
    redis = await startRedis('timeout');
  }, 30_000);
  afterAll(async () => {
    await redis?.stop();
  }, 30_000);

  it('a shard past the limit is stopped, retried, reported by the submitter, leaves no state file; the worker then runs the next run', async () => {
    const r = redis as RedisServer;
    const queueFlags = ['--queue', r.url, '--prefix', r.prefix];
    mkdirSync(join(dir, 'slow'));
    expect(spawnSync('mkfifo', [join(dir, 'slow', 'part-0.csv')]).status).toBe(0);
    const evalFlags = (input: string): string[] => ['--input', input, '--pred', 'p', '--target', 'y', '--json'];
    // The run asks for 600 s; the worker's --job-timeout 3 caps it.
    const slow = startFuseflow(
      [
        'submit',
        'eval',
        ...evalFlags('slow/part-0.csv'),
        ...queueFlags,
        '--shards',
        '2',
        '--run-dir',
        'slowrun',
        '--run-id',
        'slow',
        '--attempts',
        '2',
        '--backoff',
        '100',
        '--job-timeout',
        '600',
      ],
      dir,
    );
    await slow.waitForErr(/enqueued run slow/, 30_000);
    const worker = startFuseflow(['worker', ...queueFlags, '--job-timeout', '3'], dir);
    const slowDone = await slow.exited;
    expect(slowDone.code, slow.err()).toBe(1);
    expect(slow.out()).toBe('');
    // Shard 1 holds the FIFO (one CSV file is one unit; shard 0's share is empty and it finishes).
    expect(slow.err()).toMatch(
      /run slow failed:\nshard 1\/2 \(job slow-shard-1\) failed after 2 attempts: job slow-shard-1 \(shard 1\/2\) ran past its time limit of 3 s \(worker --job-timeout 3, which caps the run's 600\) and was stopped \(SIGTERM\): fuseflow eval --input slow\/part-0\.csv .*--shard 1\/2 --state-out /,
    );
    expect((worker.err().match(/job slow-shard-1 \(shard 1\/2\) ran past its 3 s limit: stopping it/g) ?? []).length).toBe(2);
    // The stopped shard wrote nothing a merge could take for its output.
    expect(readdirSync(join(dir, 'slowrun', 'states'))).toEqual(['shard-0-of-2.state']);
    const queue = new Queue(QUEUE_NAME, { connection: queueConnection(r.url), prefix: r.prefix });
    try {
      const shard = await Job.fromId(queue, 'slow-shard-1');
      expect(shard?.attemptsMade).toBe(2);
      expect(await shard?.getState()).toBe('failed');
      expect(await (await Job.fromId(queue, 'slow-merge'))?.getState()).toBe('failed');
    } finally {
      await queue.close();
    }

    // The same worker, still running, takes the next run and finishes it.
    const rows = ['id,p,y', ...Array.from({ length: 40 }, (_, i) => `r${i},${((i * 37) % 100) / 100},${i % 3 === 0 ? 1 : 0}`)];
    writeFileSync(join(dir, 'good.csv'), `${rows.join('\n')}\n`);
    const one = spawnSync(process.execPath, [...FUSEFLOW_NODE_ARGS, 'eval', ...evalFlags('good.csv')], { cwd: dir, encoding: 'utf8' });
    expect(one.status, one.stderr).toBe(0);
    const good = startFuseflow(
      ['submit', 'eval', ...evalFlags('good.csv'), ...queueFlags, '--shards', '1', '--run-dir', 'goodrun', '--run-id', 'good', '--job-timeout', '120'],
      dir,
    );
    expect((await good.exited).code, good.err()).toBe(0);
    expect(good.out()).toBe(one.stdout);
    expect(worker.err()).toMatch(/job good-merge \(eval merge\) done/);
    worker.child.kill('SIGTERM');
    expect((await worker.exited).code, worker.err()).toBe(0);
  }, 180_000);
});
