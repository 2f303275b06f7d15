/** fit's resume checks (recorded configuration, missing checkpoint) and its output safety (log through a link, run folder that is a file). */
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OptionsError } from '../../src/core/errors.js';
import { OutputError } from '../../src/core/safe-fs.js';
import { readCheckpoint } from '../../src/trainer/checkpoint.js';
import { fit, type FitOptions } from '../../src/trainer/fit.js';
import { crossEntropy } from '../../src/trainer/losses/cross-entropy.js';
import { tabularModel, trainBatches } from './helpers/tabular.js';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'ff-fit-safety-'));
  dirs.push(d);
  return d;
};
beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const ce = crossEntropy({ pred: 'model.logits.cls', target: 'data.label' });
const base = (dir: string): FitOptions => ({
  model: tabularModel(5),
  losses: [ce],
  train: trainBatches(64, 32),
  epochs: 1,
  seed: 1,
  dir,
  schedule: { type: 'constant', lr: 0.01 },
  config: { data: { file: 'table.csv', sha256: 'aa' }, batchSize: 32 },
  progress: false,
  backend: 'cpu',
});

describe('fit: resume checks the recorded configuration', () => {
  it('records the configuration in the checkpoint and resumes when it is the same (epochs may grow)', async () => {
    const dir = tmp();
    await fit(base(dir));
    const config = readCheckpoint(join(dir, 'last.ckpt')).trainState['config'] as Record<string, unknown>;
    expect(Object.keys(config).slice(0, 4)).toEqual(['data', 'batchSize', 'seed', 'optimizer']);
    expect(config['seed']).toBe(1);
    expect(config['schedule']).toEqual({ type: 'constant', lr: 0.01 });
    const again = await fit({ ...base(dir), epochs: 2, resume: true });
    expect(again.resumedFrom).toEqual({ epoch: 1, position: 0, step: 2 });
    expect(again.history).toHaveLength(1);
  });

  it.each([
    ['seed', { seed: 7 }, /^resume: seed differs: run was 1, now 7 \(recorded in .*last\.ckpt\); resume with the run's settings/],
    ['learning rate', { schedule: { type: 'constant', lr: 0.02 } as const }, /^resume: schedule\.lr differs: run was 0\.01, now 0\.02/],
    ['data fingerprint', { config: { data: { file: 'table.csv', sha256: 'bb' }, batchSize: 32 } }, /^resume: data\.sha256 differs: run was "aa", now "bb"/],
    ['optimizer', { optimizer: { type: 'sgd' } as const }, /^resume: optimizer\.type differs: run was "adam", now "sgd"/],
    ['model', { model: tabularModel(5, true) }, /^resume: model\.layers differs: run was \[/],
  ])('a different %s is refused, naming the first field that differs', async (_what, change, message) => {
    const dir = tmp();
    await fit(base(dir));
    const before = readFileSync(join(dir, 'last.ckpt'));
    const err = await fit({ ...base(dir), ...change, resume: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OptionsError);
    expect((err as Error).message).toMatch(message);
    expect(readFileSync(join(dir, 'last.ckpt')).equals(before)).toBe(true);
  });

  it('resume with no checkpoint is an error, not a fresh start', async () => {
    const dir = tmp();
    const err = await fit({ ...base(dir), resume: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OptionsError);
    expect((err as Error).message).toMatch(/^resume: no checkpoint to resume from \(.*last\.ckpt does not exist\)/);
  });
});

describe('fit: outputs', () => {
  it('refuses to append to a log.jsonl that is a symbolic link; the link target is untouched', async () => {
    const dir = tmp();
    const outside = join(tmp(), 'elsewhere.txt');
    writeFileSync(outside, 'keep\n');
    symlinkSync(outside, join(dir, 'log.jsonl'));
    const err = await fit(base(dir)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutputError);
    expect((err as Error).message).toBe(`${join(dir, 'log.jsonl')}: cannot append: it is a symbolic link (refused: outputs are never written through links)`);
    expect(readFileSync(outside, 'utf8')).toBe('keep\n');
  });

  it('refuses a checkpoint path that is a symbolic link', async () => {
    const dir = tmp();
    const outside = join(tmp(), 'elsewhere.ckpt');
    writeFileSync(outside, 'keep');
    symlinkSync(outside, join(dir, 'best.ckpt'));
    await expect(fit(base(dir))).rejects.toThrow(`${join(dir, 'best.ckpt')}: is a symbolic link`);
    expect(readFileSync(outside, 'utf8')).toBe('keep');
  });

  it('a run folder that is a regular file, or under one → OutputError naming it', async () => {
    const file = join(tmp(), 'plain');
    writeFileSync(file, 'x');
    await expect(fit(base(file))).rejects.toThrow(`${file}: cannot create the run folder: a file of that name exists`);
    await expect(fit(base(join(file, 'run')))).rejects.toThrow(`${join(file, 'run')}: cannot create the run folder: a part of its path is not a folder`);
    await expect(fit(base(join(file, 'run')))).rejects.toThrow(OutputError);
  });
});
