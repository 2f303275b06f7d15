/**
 * fit's resume checks (recorded configuration, missing checkpoint), its run-folder protection (a
 * new run never reuses a folder holding a run; `overwrite` removes only the run files) and its
 * output safety (log through a link, run folder that is a file).
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { OptionsError } from '../../src/core/errors.js';
import { OutputError } from '../../src/core/safe-fs.js';
import { readCheckpoint } from '../../src/trainer/checkpoint.js';
import { fit, type FitOptions } from '../../src/trainer/fit.js';
import { crossEntropy } from '../../src/trainer/losses/cross-entropy.js';
import { tabularModel, trainBatches } from './helpers/tabular.js';
import { tempDirs } from '../temp-dirs.js';

const tmp = tempDirs({ prefix: 'ff-fit-safety-', removeAfter: 'all' });
beforeAll(async () => {
  await tf.setBackend('cpu');
});

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
    expect((err as Error).message).toBe(`resume: no checkpoint to resume from in ${dir} (last.ckpt is missing); run without resume to start a new run`);
  });

  it('resume and overwrite together are refused before anything is touched', async () => {
    const dir = tmp();
    await fit(base(dir));
    const before = snapshot(dir);
    const err = await fit({ ...base(dir), resume: true, overwrite: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OptionsError);
    expect((err as Error).message).toBe('resume: true and overwrite: true exclude each other: continue the run, or replace it');
    expect(snapshot(dir)).toEqual(before);
  });
});

/** Every entry under `dir` (recursively): its kind, bytes (files, as hex) or link target, and modification time. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, prefix: string): void => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      const st = lstatSync(path);
      const key = `${prefix}${name}`;
      if (st.isDirectory()) {
        out[key] = `dir ${st.mtimeMs}`;
        walk(path, `${key}/`);
      } else if (st.isSymbolicLink()) out[key] = `link ${st.mtimeMs}`;
      else out[key] = `file ${st.mtimeMs} ${readFileSync(path).toString('hex')}`;
    }
  };
  walk(dir, '');
  return out;
}

const jsonLines = (file: string): unknown[] =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as unknown);

describe('fit: a new run never reuses a folder holding a run', () => {
  it('a fresh fit into a folder with a previous run → OutputError naming the folder, the files and the options; nothing changed', async () => {
    const dir = tmp();
    await fit(base(dir));
    writeFileSync(join(dir, 'notes.txt'), 'my notes\n');
    const before = snapshot(dir);
    expect(Object.keys(before)).toEqual(['best.ckpt', 'last.ckpt', 'log.jsonl', 'notes.txt']);
    const err = await fit({ ...base(dir), seed: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutputError);
    expect((err as Error).message).toBe(
      `${dir}: already holds a run (best.ckpt, last.ckpt, log.jsonl); pass resume: true to continue it, overwrite: true to replace it (removes only run.json, best.ckpt, last.ckpt, log.jsonl, predictions.arrow, test.json), or choose another dir`,
    );
    // checkpoint bytes, log lines, the user's file and every modification time are as they were
    expect(snapshot(dir)).toEqual(before);
    expect(jsonLines(join(dir, 'log.jsonl'))).toHaveLength(1);
  });

  it.each([['run.json'], ['predictions.arrow'], ['last.ckpt']])('a folder holding only %s (a run file) is refused too', async (file) => {
    const dir = tmp();
    writeFileSync(join(dir, file), 'x');
    const err = await fit(base(dir)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutputError);
    expect((err as Error).message).toMatch(new RegExp(`^${dir}: already holds a run \\(${file.replace('.', '\\.')}\\); pass resume: true`));
    expect(readdirSync(dir)).toEqual([file]);
    expect(readFileSync(join(dir, file), 'utf8')).toBe('x');
  });

  it('a folder holding only other files is a new run: they are kept', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'table.csv'), 'a,b\n1,2\n');
    await fit(base(dir));
    expect(readdirSync(dir).sort()).toEqual(['best.ckpt', 'last.ckpt', 'log.jsonl', 'table.csv']);
    expect(readFileSync(join(dir, 'table.csv'), 'utf8')).toBe('a,b\n1,2\n');
  });

  it('overwrite: true removes only the run files (a user file and a sub-folder stay) and starts a new run', async () => {
    const dir = tmp();
    await fit(base(dir));
    expect(jsonLines(join(dir, 'log.jsonl'))).toHaveLength(1);
    writeFileSync(join(dir, 'run.json'), '{"old": true}\n');
    writeFileSync(join(dir, 'predictions.arrow'), 'old predictions');
    writeFileSync(join(dir, 'notes.txt'), 'my notes\n');
    mkdirSync(join(dir, 'figures'));
    writeFileSync(join(dir, 'figures', 'roc.svg'), '<svg/>');
    const seen: string[] = [];
    const result = await fit({ ...base(dir), epochs: 2, overwrite: true, onNewRunFolder: (d) => seen.push(readdirSync(d).sort().join(',')) });
    // when the new run starts, the run files are gone and nothing else is
    expect(seen).toEqual(['figures,notes.txt']);
    expect(result.resumedFrom).toBeNull();
    expect(result.history.map((e) => e.epoch)).toEqual([0, 1]);
    expect(readdirSync(dir).sort()).toEqual(['best.ckpt', 'figures', 'last.ckpt', 'log.jsonl', 'notes.txt']);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('my notes\n');
    expect(readFileSync(join(dir, 'figures', 'roc.svg'), 'utf8')).toBe('<svg/>');
    // the log is the new run's (2 epochs from 0), not appended to the old one's
    expect(jsonLines(join(dir, 'log.jsonl')).map((e) => (e as { epoch: number }).epoch)).toEqual([0, 1]);
    expect((readCheckpoint(join(dir, 'last.ckpt')).trainState['loop'] as { epoch: number }).epoch).toBe(2);
  });

  it('overwrite: true with a bad option (schedule, optimizer) is refused before any run file is removed', async () => {
    const dir = tmp();
    await fit(base(dir));
    const before = snapshot(dir);
    const badSchedule = await fit({ ...base(dir), overwrite: true, schedule: { type: 'cosine', lr: 0.01, totalSteps: 2, warmupSteps: 2 } }).catch((e: unknown) => e);
    expect(badSchedule).toBeInstanceOf(OptionsError);
    const badOptimizer = await fit({ ...base(dir), overwrite: true, optimizer: { type: 'adam', beta1: 1 } }).catch((e: unknown) => e);
    expect(badOptimizer).toBeInstanceOf(OptionsError);
    expect(snapshot(dir)).toEqual(before);
  });

  it('onNewRunFolder runs once for a new run, never on resume', async () => {
    const dir = tmp();
    const calls: string[] = [];
    await fit({ ...base(dir), onNewRunFolder: (d) => calls.push(d) });
    await fit({ ...base(dir), epochs: 2, resume: true, onNewRunFolder: (d) => calls.push(d) });
    expect(calls).toEqual([dir]);
  });
});

describe('fit: outputs', () => {
  it('a log.jsonl that is a symbolic link counts as a run file; overwrite removes the link, never its target', async () => {
    const dir = tmp();
    const outside = join(tmp(), 'elsewhere.txt');
    writeFileSync(outside, 'keep\n');
    symlinkSync(outside, join(dir, 'log.jsonl'));
    await expect(fit(base(dir))).rejects.toThrow(`${dir}: already holds a run (log.jsonl)`);
    await fit({ ...base(dir), overwrite: true });
    expect(lstatSync(join(dir, 'log.jsonl')).isFile()).toBe(true);
    expect(jsonLines(join(dir, 'log.jsonl'))).toHaveLength(1);
    expect(readFileSync(outside, 'utf8')).toBe('keep\n');
  });

  it('refuses to append to a log.jsonl link planted after the folder check; the link target is untouched', async () => {
    const dir = tmp();
    const outside = join(tmp(), 'elsewhere.txt');
    writeFileSync(outside, 'keep\n');
    const err = await fit({ ...base(dir), onNewRunFolder: (d) => symlinkSync(outside, join(d, 'log.jsonl')) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutputError);
    expect((err as Error).message).toBe(`${join(dir, 'log.jsonl')}: cannot append: it is a symbolic link (refused: outputs are never written through links)`);
    expect(readFileSync(outside, 'utf8')).toBe('keep\n');
  });

  it('refuses a checkpoint path that is a symbolic link (planted after the folder check)', async () => {
    const dir = tmp();
    const outside = join(tmp(), 'elsewhere.ckpt');
    writeFileSync(outside, 'keep');
    await expect(fit({ ...base(dir), onNewRunFolder: (d) => symlinkSync(outside, join(d, 'best.ckpt')) })).rejects.toThrow(`${join(dir, 'best.ckpt')}: is a symbolic link`);
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
