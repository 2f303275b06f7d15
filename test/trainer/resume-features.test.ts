import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../src/trainer/checkpoint.js';
import { fit } from '../../src/trainer/fit.js';
import { tempFolder } from '../temp-folder.js';
import { featuresRun } from './helpers/features-run.js';

const CHILD = fileURLToPath(new URL('./helpers/features-child.ts', import.meta.url));
const { dir: root } = tempFolder('ff-resume-features-');

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Runs the child; with `killAtStep`, SIGKILLs it once it reports that step. */
function runChild(dir: string, mode: 'run' | 'resume', killAtStep?: number): Promise<{ out: string; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
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
      else resolve({ out, signal });
    });
  });
}

describe('kill and resume with accumulation and the plateau scheduler', () => {
  const straight = join(root, 'straight');
  const killed = join(root, 'killed');

  it('SIGKILL mid-epoch, resume: bit-identical final weights; the plateau factor and the group boundary come back', async () => {
    const [a, b] = await Promise.all([runChild(straight, 'run'), runChild(killed, 'run', 12)]);
    expect(a.out).toMatch(/done resumed=null lrs=/);
    expect(b.signal).toBe('SIGKILL');
    const saved = readCheckpoint(join(killed, 'last.ckpt')).trainState;
    const loop = saved['loop'] as { epoch: number; position: number; step: number };
    // 13 batches an epoch → updates of 3, 3, 3, 3, 1 batches: 5 per epoch. A checkpoint holds a
    // whole number of groups: its position is a multiple of 48 rows.
    expect(loop.epoch).toBe(2);
    expect(loop.step).toBeGreaterThanOrEqual(12);
    expect(loop.position % 48).toBe(0);
    expect(loop.position).toBeGreaterThan(0);
    // Reduced after epochs 1 (nothing beats best − 1): the factor is in the checkpoint.
    expect(saved['plateau']).toMatchObject({ scale: 0.5 });
    const c = await runChild(killed, 'resume');
    expect(c.out).toMatch(new RegExp(`done resumed=\\{"epoch":2,"position":${loop.position},"step":${loop.step}\\}`));
    const lrs = (out: string): number[] => JSON.parse(/lrs=(.*)$/m.exec(out)![1]!) as number[];
    expect(lrs(c.out)).toEqual(lrs(a.out).slice(2));
    const wa = readFileSync(join(straight, 'final.bin'));
    const wb = readFileSync(join(killed, 'final.bin'));
    expect(wa.length).toBeGreaterThan(0);
    expect(wb.equals(wa)).toBe(true);
  });

  it('resuming with another accumulation or plateau setting is refused, naming the field', async () => {
    await expect(fit(featuresRun(straight, { resume: true, accumulate: 2 }))).rejects.toThrow(/^resume: accumulate differs: run was 3, now 2 \(recorded in .*last\.ckpt\)/);
    await expect(fit(featuresRun(straight, { resume: true, reduceOnPlateau: { factor: 0.2, patience: 0, threshold: 1, thresholdMode: 'abs' } }))).rejects.toThrow(
      /^resume: reduceOnPlateau\.factor differs: run was 0\.5, now 0\.2/,
    );
    const { reduceOnPlateau: _dropped, ...withoutPlateau } = featuresRun(straight, { resume: true });
    await expect(fit(withoutPlateau)).rejects.toThrow(/^resume: reduceOnPlateau differs: run was \{.*, now not set/);
  });
});
