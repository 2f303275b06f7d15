import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../src/trainer/checkpoint.js';

const CHILD = fileURLToPath(new URL('./helpers/resume-child.ts', import.meta.url));
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Runs the child; with `killAtStep`, SIGKILLs it once it reports that step. Resolves with its stdout and exit signal. */
function runChild(dir: string, args: readonly string[], killAtStep?: number): Promise<{ out: string; signal: NodeJS.Signals | null; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (killAtStep !== undefined && new RegExp(`^step ${killAtStep}$`, 'm').test(out)) child.kill('SIGKILL');
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code !== 0 && signal === null) reject(new Error(`child failed (${code}): ${err.slice(-1500)}`));
      else resolve({ out, signal, code });
    });
  });
}

describe('kill and resume', () => {
  // Exact on both backends: the resumed run replays the same float32 ops in the same order, so
  // its final weights are bit-identical (no tolerance).
  it.each(['cpu', 'wasm'] as const)('SIGKILL mid-epoch, resume: bit-identical final weights to an uninterrupted run (%s backend)', async (backend) => {
    const straight = mkdtempSync(join(tmpdir(), 'ff-resume-a-'));
    const killed = mkdtempSync(join(tmpdir(), 'ff-resume-b-'));
    dirs.push(straight, killed);
    const [a, b] = await Promise.all([runChild(straight, ['run', backend]), runChild(killed, ['run', backend], 20)]);
    expect(a.out).toMatch(new RegExp(`^backend ${backend}$`, 'm'));
    expect(a.out).toMatch(/done resumed=null/);
    expect(b.signal).toBe('SIGKILL');
    const loop = readCheckpoint(join(killed, 'last.ckpt')).trainState['loop'] as { epoch: number; position: number; step: number };
    expect(loop.epoch).toBe(1);
    expect(loop.position).toBeGreaterThan(0);
    expect(loop.step).toBeGreaterThanOrEqual(20);
    const c = await runChild(killed, ['resume', backend]);
    expect(c.out).toMatch(new RegExp(`done resumed=\\{"epoch":1,"position":${loop.position},"step":${loop.step}\\}`));
    const wa = readFileSync(join(straight, 'final.bin'));
    const wb = readFileSync(join(killed, 'final.bin'));
    expect(wa.length).toBeGreaterThan(0);
    expect(wb.equals(wa)).toBe(true);
  });
});
