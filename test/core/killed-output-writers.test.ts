/**
 * The output writers that stream into their own temporary — Arrow prediction files
 * (writeArrowAtomic), images (writeImage: segmentation outputs) and the demo's summary.json — each
 * SIGKILLed by a real child process (test/core/killed-writer-child.ts) held before its rename
 * (FUSEFLOW_TEST_PAUSE_BEFORE_RENAME names a FIFO, as in test/cache/killed-writers.test.ts): what is
 * left is one temporary named by the writer's pid and host (safe-fs tempPathFor), the target is
 * unchanged; the next write of the same target removes it, keeps a live writer's temporary of that
 * target and another host's (named on stderr), and writes the bytes of an uninterrupted write.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempPathFor, tempWriterOf, writerHost } from '../../src/core/safe-fs.js';
import { tempFolder } from '../temp-folder.js';

const { dir } = tempFolder('fuseflow-killed-outputs-');
const CHILD = ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href, 'test/core/killed-writer-child.ts'];
const temps = (folder: string): string[] => readdirSync(folder).filter((n) => n.includes('.tmp-'));

/** A process that stays alive until killed (a live writer's pid). */
let live: ChildProcess;
beforeAll(() => {
  live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 600000)'], { stdio: 'ignore' });
});
afterAll(() => {
  if (live.pid !== undefined) process.kill(live.pid, 'SIGKILL');
});

/** Runs the child writer to completion; returns its exit code and stderr. */
function write(kind: string, target: string): { code: number | null; err: string } {
  const r = spawnSync(process.execPath, [...CHILD, kind, target], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, err: r.stderr };
}

/**
 * Starts the child writer held before its rename and SIGKILLs it there; returns its pid and the
 * path it said it held (the complete temporary).
 */
async function killAtRename(kind: string, target: string, folder: string): Promise<{ pid: number; held: string }> {
  const fifo = join(folder, `hold-${kind}.fifo`);
  expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
  const child = spawn(process.execPath, [...CHILD, kind, target], { env: { ...process.env, FUSEFLOW_TEST_PAUSE_BEFORE_RENAME: fifo }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_code, signal) => r(signal)));
  const said = readFile(fifo, 'utf8');
  const first = await Promise.race([said, exited.then(() => `exited before the hold: ${err}`)]);
  if (child.exitCode !== null) closeSync(openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK)); // frees the pending read
  expect(first).toMatch(/^held /);
  const pid = child.pid as number;
  process.kill(pid, 'SIGKILL');
  expect(await exited).toBe('SIGKILL');
  return { pid, held: first.slice('held '.length).trim() };
}

/** The whole contract for one writer: killed → one owned temporary; the next write removes it and keeps the others. */
async function killedThenRewritten(kind: string, name: string, before?: string): Promise<void> {
  const folder = join(dir, kind);
  mkdirSync(folder);
  const target = join(folder, name);
  if (before !== undefined) writeFileSync(target, before);
  const { pid, held } = await killAtRename(kind, target, folder);
  const left = temps(folder);
  expect(left).toHaveLength(1);
  expect(held.startsWith(join(folder, left[0] as string))).toBe(true);
  expect(left[0]).toMatch(new RegExp(`^\\.${name.replace(/\./g, '\\.')}\\.tmp-${pid}-[0-9a-z]+@`));
  expect(tempWriterOf(target, left[0] as string)).toEqual({ pid, host: writerHost() });
  // The target is as it was: absent, or the earlier file.
  if (before === undefined) expect(existsSync(target)).toBe(false);
  else expect(readFileSync(target, 'utf8')).toBe(before);

  // Beside it: a live writer's temporary of the same target and another host's.
  const liveTemp = join(folder, basename(tempPathFor(target)).replace(/-(\d+)-/, `-${live.pid as number}-`));
  const foreign = join(folder, `.${name}.tmp-4242-abc@other-node.example`);
  for (const f of [liveTemp, foreign]) writeFileSync(f, 'partial');
  const rerun = write(kind, target);
  expect(rerun.err).toContain(
    `fuseflow: kept 1 temporary file of ${target} left by a writer on another host or container (it may still be running; remove it once it is not): ${foreign}`,
  );
  expect(rerun.code).toBe(0);
  expect(temps(folder).sort()).toEqual([basename(foreign), basename(liveTemp)].sort());

  const reference = join(dir, `reference-${kind}`);
  mkdirSync(reference);
  expect(write(kind, join(reference, name)).code).toBe(0);
  expect(readFileSync(target).equals(readFileSync(join(reference, name)))).toBe(true);
}

describe('output writers killed before their rename, and the next write of their target', () => {
  it('Arrow prediction file (writeArrowAtomic): one temporary of the killed writer, removed by the next write, which writes the same bytes', async () => {
    await killedThenRewritten('arrow', 'val-preds.arrow');
  }, 60_000);

  it('image (writeImage, NIfTI.gz on the image I/O worker): the killed writer leaves one temporary folder named by it; the next write removes it and writes the same bytes', async () => {
    await killedThenRewritten('image', 'seg.nii.gz');
  }, 60_000);

  it("demo summary.json: the killed writer leaves the earlier summary and one temporary; the next demo's write removes it and replaces the summary", async () => {
    await killedThenRewritten('demo', 'summary.json', '{"earlier":true}\n');
  }, 60_000);
});
