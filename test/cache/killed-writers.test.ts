/**
 * What a writer SIGKILLed mid-write leaves, and the next write of the same target: a real
 * `fuseflow eval --shard 0/2 --state-out OUT` process is held after its temporary file is complete
 * (FUSEFLOW_TEST_PAUSE_BEFORE_RENAME names a FIFO: it says `held` there, then blocks) and killed there; the temporary
 * is named by its writer (pid, host). The rerun removes it (its process is gone), keeps the
 * temporary of a live writer of the same target and that of another host (naming the latter on
 * stderr), touches nothing of another target, and writes the bytes an uninterrupted run writes.
 * Also the other writers that go through a temporary name: a `cache pull` folder and the id digest
 * spill runs.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeStaleTemps, tempPathFor, tempWriterOf, writerHost } from '../../src/core/safe-fs.js';
import { IdDigestWriter } from '../../src/eval/shard/id-digests.js';
import { fuseflowEval } from '../cli/run-cli.js';
import { FUSEFLOW_NODE_ARGS } from '../engines/redis.js';
import { writePredictionFiles } from '../eval/shard/prediction-files.js';
import { tempFolder } from '../temp-folder.js';

const { dir } = tempFolder('fuseflow-killed-writers-');
const data = join(dir, 'data');
const ARGS = ['eval', '--input', `${data}/*.arrow`, '--pred', 'pred', '--target', 'target', '--metrics', 'accuracy,brier', '--no-progress', '--shard', '0/2'];
const temps = (folder: string): string[] => readdirSync(folder).filter((n) => n.includes('.tmp-'));

/** A process that stays alive until killed (a live writer's pid). */
let live: ChildProcess;
/** The pid of a process that has exited (a dead writer's). */
const deadPid = (): number => spawnSync(process.execPath, ['-e', '0']).pid;

beforeAll(() => {
  mkdirSync(data, { recursive: true });
  writePredictionFiles(data, { files: 4, rows: 4_000, batchRows: 500, seed: 3 });
  live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 600000)'], { stdio: 'ignore' });
});
afterAll(() => {
  if (live.pid !== undefined) process.kill(live.pid, 'SIGKILL');
});

describe('a writer killed mid-write, and the next write of its target', () => {
  it('the SIGKILLed eval --state-out leaves one temporary named by its pid and host; the rerun removes it, keeps a live and a foreign host temporary (named on stderr), and writes the bytes of an uninterrupted run', async () => {
    const out = join(dir, 'shard-0.state');
    const fifo = join(dir, 'hold.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const child = spawn(process.execPath, [...FUSEFLOW_NODE_ARGS, ...ARGS, '--state-out', out], {
      env: { ...process.env, FUSEFLOW_TEST_PAUSE_BEFORE_RENAME: fifo },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_code, signal) => r(signal)));
    const pid = child.pid as number;
    // Held: the process says so through the FIFO once its temporary file is complete, then blocks.
    const said = readFile(fifo, 'utf8');
    const first = await Promise.race([said, exited.then(() => `exited before the hold: ${err}`)]);
    if (child.exitCode !== null) closeSync(openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK)); // frees the pending read
    expect(first).toMatch(new RegExp(`^held ${dir}/\\.shard-0\\.state\\.tmp-${pid}-`));
    process.kill(pid, 'SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const left = temps(dir);
    expect(left).toHaveLength(1);
    expect(tempWriterOf(out, left[0] as string)).toEqual({ pid, host: writerHost() });
    expect(left[0]).toMatch(new RegExp(`^\\.shard-0\\.state\\.tmp-${pid}-[0-9a-z]+@`));
    expect(existsSync(out)).toBe(false);

    // Beside it: a live writer's temporary of the same target, another host's, and a dead writer's temporary of another target.
    const liveTemp = join(dir, basename(tempPathFor(out)).replace(/-(\d+)-/, `-${live.pid as number}-`));
    const foreign = join(dir, '.shard-0.state.tmp-4242-abc@other-node.example');
    const otherTarget = join(dir, `.shard-1.state.tmp-${deadPid()}-abc@${writerHost()}`);
    for (const f of [liveTemp, foreign, otherTarget]) writeFileSync(f, 'partial');
    expect(tempWriterOf(out, basename(liveTemp))?.pid).toBe(live.pid);

    const rerun = await fuseflowEval(...ARGS.slice(1), '--state-out', out);
    expect(rerun.code).toBe(0);
    expect(rerun.err).toContain(
      `fuseflow: kept 1 temporary file of ${out} left by a writer on another host or container (it may still be running; remove it once it is not): ${foreign}`,
    );
    expect(temps(dir).sort()).toEqual([basename(foreign), basename(liveTemp), basename(otherTarget)].sort());
    const reference = join(dir, 'reference.state');
    expect((await fuseflowEval(...ARGS.slice(1), '--state-out', reference)).code).toBe(0);
    expect(readFileSync(out).equals(readFileSync(reference))).toBe(true);
  }, 120_000);

  it('the temporary names: parsed back for their own target only, never for a target whose name extends it', () => {
    const target = join(dir, 'a.state');
    const t = tempPathFor(target);
    expect(tempWriterOf(target, basename(t))).toEqual({ pid: process.pid, host: writerHost() });
    expect(tempWriterOf(join(dir, 'a'), basename(t))).toBeUndefined();
    expect(tempWriterOf(join(dir, 'a.stat'), basename(t))).toBeUndefined();
    const run = tempPathFor(target, 'run3');
    expect(tempWriterOf(target, basename(run))?.pid).toBe(process.pid);
    // A temporary of a target whose name looks like a temporary belongs to that target only.
    const odd = join(dir, basename(t));
    expect(tempWriterOf(target, basename(tempPathFor(odd)))).toBeUndefined();
    expect(() => tempPathFor(target, 'Run-3')).toThrow(/lower-case letters and digits/);
    // This process's own temporaries are never removed (it is alive); a dead pid of another PID namespace (container) on this host name is not this host's.
    writeFileSync(t, 'x');
    const container = join(dir, `.a.state.tmp-${deadPid()}-k1@${hostname()}~1`);
    const gone = join(dir, `.a.state.tmp-${deadPid()}-k1@${writerHost()}`);
    for (const f of [container, gone]) writeFileSync(f, 'x');
    expect(removeStaleTemps(target, { quiet: true })).toEqual({ removed: [gone], otherHost: [container] });
    expect(existsSync(t)).toBe(true);
    expect(existsSync(container)).toBe(true);
  });

  it('id digest spill runs and the output temporary of a killed writer are removed by the next writer of that target; its own runs by finish', () => {
    const target = join(dir, 'ids', 'shard.state.ids');
    mkdirSync(join(dir, 'ids'));
    const dead = deadPid();
    const stale = [`.shard.state.ids.tmp-${dead}-k1-run0@${writerHost()}`, `.shard.state.ids.tmp-${dead}-k1@${writerHost()}`].map((n) => join(dir, 'ids', n));
    for (const f of stale) writeFileSync(f, 'partial');
    const w = new IdDigestWriter(target, { memoryIds: 2 });
    expect(stale.filter((f) => existsSync(f))).toEqual([]);
    for (const id of ['c', 'a', 'b', 'e', 'd']) w.add(id);
    expect(temps(join(dir, 'ids')).length).toBeGreaterThan(0); // its spilled runs, named by it
    for (const n of temps(join(dir, 'ids'))) expect(tempWriterOf(target, n)?.pid).toBe(process.pid);
    w.finish([]);
    expect(readdirSync(join(dir, 'ids'))).toEqual(['shard.state.ids']);
  });
});
