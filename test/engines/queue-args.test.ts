/**
 * The parts of `fuseflow submit` / `fuseflow worker` that need no Redis: the jobs a submit line
 * becomes (checked word for word), its refusals, the queue URL, the whitelist's decisions on
 * payloads, and a submitter whose Redis does not answer (it exits 1 saying so).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_ROUNDS, roundJobs, type EvalRounds } from '../../src/cli/queue/eval-rounds.js';
import { checkJob } from '../../src/cli/queue/job-line.js';
import { queueConnection } from '../../src/cli/queue/queue-url.js';
import { parseSubmit } from '../../src/cli/queue/submit-plan.js';
import { tempFolder } from '../temp-folder.js';
import { FUSEFLOW_NODE_ARGS } from './redis.js';

const { dir } = tempFolder('fuseflow-queue-args-');
const Q = ['--queue', 'redis://127.0.0.1:6379'];

describe('fuseflow submit: the jobs of a submit line', () => {
  it('eval: shard i gets the eval flags + --with-report (the merge draws a report) + --shard i/N --state-out; the merge gets --json/--report/--overwrite', () => {
    const plan = parseSubmit(
      [
        'eval',
        '--input',
        'p/*.arrow',
        '--pred',
        'p',
        '--target',
        'y',
        '--json',
        '--report',
        'r.html',
        '--overwrite',
        ...Q,
        '--shards',
        '2',
        '--run-dir',
        'run',
        '--attempts',
        '4',
        '--backoff',
        '10',
      ],
      dir,
      'r1',
    );
    expect(plan.shardJobs).toEqual(
      [0, 1].map((i) => ({
        v: 1,
        step: 'shard',
        argv: ['eval', '--input', 'p/*.arrow', '--pred', 'p', '--target', 'y', '--with-report', '--shard', `${i}/2`, '--state-out', `${dir}/run/states/shard-${i}-of-2.state`],
        cwd: dir,
        shard: { index: i, count: 2 },
      })),
    );
    expect(plan.finalJob).toEqual({
      v: 1,
      step: 'final',
      argv: [
        'eval',
        'merge',
        `${dir}/run/states/shard-0-of-2.state`,
        `${dir}/run/states/shard-1-of-2.state`,
        '--json',
        '--report',
        'r.html',
        '--overwrite',
        '--next-pass-out',
        `${dir}/run/plan-1.state`,
      ],
      cwd: dir,
      rounds: {
        runId: 'r1',
        runDir: `${dir}/run`,
        shards: 2,
        shardArgs: ['--input', 'p/*.arrow', '--pred', 'p', '--target', 'y', '--with-report'],
        mergeArgs: ['--json', '--report', 'r.html', '--overwrite'],
        round: 1,
        attempts: 4,
        backoffMs: 10,
      },
    });
    expect([plan.attempts, plan.backoffMs, plan.prefix, plan.runId, plan.runDir]).toEqual([4, 10, 'fuseflow', 'r1', `${dir}/run`]);
  });

  it('eval rounds: round K+1 (extra pass K) is N pass shards of RUN/plan-K.state under the merge of their files, which writes RUN/plan-(K+1).state; ids by run and pass; the last round reads any further pass itself', () => {
    const plan = parseSubmit(
      ['eval', '--input', 'p/*.arrow', '--pred', 'p', '--target', 'y', '--json', ...Q, '--shards', '2', '--run-dir', 'run', '--job-timeout', '50'],
      dir,
      'r1',
    );
    const rounds = plan.rounds as EvalRounds;
    const two = roundJobs({ ...rounds, round: 2 }, dir, 50);
    expect(two.shardIds).toEqual(['r1-pass-1-shard-0', 'r1-pass-1-shard-1']);
    expect(two.mergeId).toBe('r1-pass-1-merge');
    expect(two.shardJobs).toEqual(
      [0, 1].map((i) => ({
        v: 1,
        step: 'shard',
        argv: [
          'eval',
          '--input',
          'p/*.arrow',
          '--pred',
          'p',
          '--target',
          'y',
          '--shard',
          `${i}/2`,
          '--pass',
          `${dir}/run/plan-1.state`,
          '--state-out',
          `${dir}/run/states/pass-1-shard-${i}-of-2.state`,
        ],
        cwd: dir,
        shard: { index: i, count: 2 },
        timeoutS: 50,
      })),
    );
    expect(two.mergeJob).toEqual({
      v: 1,
      step: 'final',
      argv: ['eval', 'merge', `${dir}/run/states/pass-1-shard-0-of-2.state`, `${dir}/run/states/pass-1-shard-1-of-2.state`, '--json', '--next-pass-out', `${dir}/run/plan-2.state`],
      cwd: dir,
      timeoutS: 50,
      rounds: { ...rounds, round: 2 },
    });
    // Every job of a round passes the whitelist; the merge carries its rounds.
    for (const job of [...two.shardJobs, two.mergeJob]) expect(checkJob(job, { allowModules: [] }).argv).toEqual(job.argv);
    expect(checkJob(two.mergeJob, { allowModules: [] }).rounds).toEqual({ ...rounds, round: 2 });
    expect(roundJobs({ ...rounds, round: MAX_ROUNDS }, dir, undefined).mergeJob.argv).not.toContain('--next-pass-out');
    expect(() => parseSubmit(['eval', '--input', 'a.csv', '--pred', 'p', '--target', 'y', ...Q, '--shards', '2', '--run-dir', 'r', '--pass', 'x'], dir, 'r1')).toThrow(
      /--pass is set by `fuseflow submit eval` for each shard/,
    );
  });

  it('the whitelist refuses a merge job whose command line is not the one its rounds make, and rounds on any other job', () => {
    const rounds = parseSubmit(['eval', '--input', 'p/*.arrow', '--pred', 'p', '--target', 'y', ...Q, '--shards', '2', '--run-dir', 'run'], dir, 'r1').rounds as EvalRounds;
    const two = roundJobs({ ...rounds, round: 2 }, dir, undefined);
    const other = { ...two.mergeJob, argv: [...two.mergeJob.argv.slice(0, -1), `${dir}/elsewhere.state`] };
    expect(() => checkJob(other, { allowModules: [] })).toThrow("queue job refused: the merge's command line is not the one its rounds make for round 2");
    expect(() => checkJob({ ...two.shardJobs[0], rounds }, { allowModules: [] })).toThrow('queue job refused: only an eval merge job carries rounds, not a eval shard job');
    expect(() => checkJob({ ...two.mergeJob, rounds: { ...rounds, round: 2, runDir: 'run' } }, { allowModules: [] })).toThrow(
      'queue job refused: rounds: runDir must be an absolute path, got "run"',
    );
    expect(() => checkJob({ ...two.mergeJob, rounds: { ...rounds, round: MAX_ROUNDS + 1 } }, { allowModules: [] })).toThrow(/rounds: round must be a whole number from 1 to 32/);
  });

  it('cache-fill: shard i gets --shards N --index i; the commit gets --to; -- passes the rest verbatim', () => {
    const plan = parseSubmit(['cache-fill', 'ds.js', '--to', 'shared', ...Q, '--shards', '3', '--prefix', 'lab', '--', '--threads', '2'], dir, 'r2');
    expect(plan.shardJobs.map((j) => j.argv)).toEqual([0, 1, 2].map((i) => ['cache', 'fill', 'ds.js', '--to', 'shared', '--threads', '2', '--shards', '3', '--index', String(i)]));
    expect(plan.finalJob.argv).toEqual(['cache', 'commit', 'shared']);
    expect([plan.attempts, plan.backoffMs, plan.prefix]).toEqual([3, 5000, 'lab']);
  });

  it('cache-fill to s3://: --s3-endpoint goes to every shard and to the commit, and the whitelist takes it', () => {
    const plan = parseSubmit(['cache-fill', 'ds.js', '--to', 's3://lab/cache', '--s3-endpoint', 'http://127.0.0.1:9000', ...Q, '--shards', '2'], dir, 'r3');
    expect(plan.shardJobs[1]?.argv).toEqual(['cache', 'fill', 'ds.js', '--to', 's3://lab/cache', '--s3-endpoint', 'http://127.0.0.1:9000', '--shards', '2', '--index', '1']);
    expect(plan.finalJob.argv).toEqual(['cache', 'commit', 's3://lab/cache', '--s3-endpoint', 'http://127.0.0.1:9000']);
    expect(checkJob(plan.finalJob, { allowModules: [] }).form).toBe('cache commit');
  });

  it.each([
    [['eval', '--input', 'a.csv', '--pred', 'p', '--target', 'y', '--shards', '2', '--run-dir', 'r'], /--queue redis:\/\/HOST:PORT is required/],
    [['eval', '--input', 'a.csv', '--pred', 'p', '--target', 'y', ...Q, '--run-dir', 'r'], /--shards N is required/],
    [['eval', '--input', 'a.csv', '--pred', 'p', '--target', 'y', ...Q, '--shards', '2'], /eval needs --run-dir DIR/],
    [
      ['eval', '--input', 'a.csv', '--pred', 'p', '--target', 'y', ...Q, '--shards', '2', '--run-dir', 'r', '--shard', '0/2'],
      /--shard is set by `fuseflow submit eval` for each shard/,
    ],
    [['eval', '--input', 'a.csv', '--target', 'y', ...Q, '--shards', '2', '--run-dir', 'r'], /queue job refused: eval: --pred is required/],
    [['cache-fill', 'ds.js', ...Q, '--shards', '2'], /cache-fill needs --to SHARED_DIR/],
    [['cache-fill', 'ds.js', '--to', 's', '--index', '1', ...Q, '--shards', '2'], /--index is set by `fuseflow submit cache-fill`/],
    [['cache-fill', 'ds.js', '--to', 's', '--bogus', ...Q, '--shards', '2'], /option '--bogus' is not one a queue job may pass/],
    [['train', ...Q, '--shards', '2'], /the first word must be cache-fill or eval, got 'train'/],
    [['eval', '--input', 'a.csv', '--pred', 'p', '--target', 'y', ...Q, '--shards', '0', '--run-dir', 'r'], /--shards must be an integer >= 1, got '0'/],
    [['cache-fill', 'ds.js', '--to', 's', ...Q, '--shards', '2', '--prefix', 'a:b'], /--prefix 'a:b' may hold only/],
  ])('refuses %j', (args, message) => {
    expect(() => parseSubmit(args, dir, 'r')).toThrow(message);
  });
});

describe('--queue URL', () => {
  it('reads host, port, database, user, password and TLS', () => {
    expect(queueConnection('redis://10.0.0.5:6390/3')).toMatchObject({ host: '10.0.0.5', port: 6390, db: 3, maxRetriesPerRequest: null });
    expect(queueConnection('rediss://me:s%40cret@[::1]')).toMatchObject({ host: '::1', port: 6379, db: 0, username: 'me', password: 's@cret', tls: {} });
  });
  it.each([
    ['http://host:6379', /must start with redis:\/\/ or rediss:\/\//],
    ['127.0.0.1:6379', /is not a URL \(expected redis:\/\/HOST:PORT\)/],
    ['localhost:6379', /must start with redis:\/\//],
    ['redis://host:6379/db1', /the database after the port must be a number, got 'db1'/],
    ['not a url', /is not a URL/],
  ])('refuses %s', (url, message) => {
    expect(() => queueConnection(url)).toThrow(message);
  });
});

describe('the worker whitelist', () => {
  const job = (argv: string[], step: 'shard' | 'final' = 'shard'): unknown => ({ v: 1, step, argv, cwd: dir });
  it('takes the four forms, and cache fill only for allowed modules (a file or the folder holding it)', () => {
    mkdirSync(join(dir, 'mods'), { recursive: true });
    const module = join(dir, 'mods', 'ds.js');
    writeFileSync(module, '');
    const fill = job(['cache', 'fill', 'mods/ds.js', '--shards', '2', '--index', '1', '--to', 'shared', '--threads=0']);
    expect(checkJob(fill, { allowModules: [module] }).form).toBe('cache fill');
    expect(checkJob(fill, { allowModules: [join(dir, 'mods')] }).unit).toBe('ids');
    expect(() => checkJob(fill, { allowModules: [join(dir, 'other')] })).toThrow(/not under this worker's --allow-module/);
    expect(() => checkJob(fill, { allowModules: [`${join(dir, 'mods')}x`] })).toThrow(/not under/);
    expect(checkJob(job(['cache', 'commit', 'shared'], 'final'), { allowModules: [] }).form).toBe('cache commit');
    expect(checkJob(job(['eval', '--input', 'a.csv', '--pred', 'p', '--target', 'y', '--shard', '0/2', '--state-out', 's.state']), { allowModules: [] }).unit).toBe('rows');
    expect(checkJob(job(['eval', 'merge', 'a.state', 'b.state', '--json'], 'final'), { allowModules: [] }).form).toBe('eval merge');
  });
  it.each([
    [['cache', 'commit', 'shared'], 'shard', /a cache commit job is a final step, not shard/],
    [['eval', 'merge', 'a.state', '--threads'], 'final', /--threads needs a value/],
    [['eval', 'merge', '--json'], 'final', /eval merge needs its state files/],
    [['eval', 'merge', 'a.state', '--report', 'x', '--report', 'y'], 'final', /--report is given twice/],
    [['eval', '--help'], 'shard', /--shard I\/N and --state-out FILE|--help/],
    [['cache', 'pull', 'shared', '--to', 'x'], 'shard', /'cache pull' is not one of them/],
    [['predict'], 'shard', /'predict' is not one of them/],
  ])('refuses %j as a %s step', (argv, step, message) => {
    expect(() => checkJob(job(argv, step as 'shard' | 'final'), { allowModules: ['/'] })).toThrow(message);
  });
  it('refuses a malformed payload', () => {
    expect(() => checkJob({ v: 2, step: 'shard', argv: [], cwd: dir }, { allowModules: [] })).toThrow(/unknown job format version 2/);
    expect(() => checkJob({ v: 1, step: 'shard', argv: ['eval', 'a\0b'], cwd: dir }, { allowModules: [] })).toThrow(/without NUL/);
    expect(() => checkJob({ v: 1, step: 'shard', argv: [1], cwd: dir }, { allowModules: [] })).toThrow(/argv must be/);
    expect(() => checkJob({ v: 1, step: 'final', argv: ['cache', 'commit', 's'], cwd: join(dir, 'nowhere') }, { allowModules: [] })).toThrow(/is not a folder on this machine/);
  });
});

it('a submitter whose Redis does not answer exits 1 saying so (before: it waited silently forever)', async () => {
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const a = server.address();
      server.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });
  const child = spawn(process.execPath, [...FUSEFLOW_NODE_ARGS, 'submit', 'cache-fill', 'ds.js', '--to', 's', '--queue', `redis://127.0.0.1:${port}`, '--shards', '2'], {
    cwd: dir,
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(err).toContain(`fuseflow submit: cannot reach the queue at redis://127.0.0.1:${port} within 10 s (connect ECONNREFUSED 127.0.0.1:${port})`);
  expect(code).toBe(1);
}, 60_000);
