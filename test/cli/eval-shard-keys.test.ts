/**
 * `fuseflow eval … --shard i/N --state-out FILE` writes FILE.keys (the kept keys of its score
 * histograms) and `fuseflow eval merge` refines AUC/AP from them: float32 scores with ties in 8
 * Arrow files give the same JSON from one process, from 4 shards merged from their keys (with the
 * inputs moved away: nothing read) and from the merge reading the inputs (a kept-keys file
 * removed), also when every shard is small enough to hold raw rows. A rerun keeps an intact
 * FILE.keys and recomputes a damaged one; a stale one (another shard's) is refused by the merge
 * naming it; someone else's file at FILE.keys is refused by the map step unless --overwrite;
 * float64 scores write none (and remove this shard's earlier one).
 */
import { copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempFolder } from '../temp-folder.js';
import { writePredictionFiles } from '../eval/shard/prediction-files.js';
import { fuseflowEval } from './run-cli.js';

const { dir } = tempFolder('fuseflow-eval-shard-keys-');
const f32 = join(dir, 'f32');
const f64 = join(dir, 'f64');
const N = 4;

const argsOf = (folder: string): string[] => [
  '--input',
  `${folder}/part-*.arrow`,
  '--pred',
  'pred',
  '--target',
  'target',
  '--metrics',
  'auc,aucpr,accuracy,brier',
  '--no-progress',
];

/** Runs shards 0..N-1 into `prefix-i.state`; returns the state files. */
async function runShards(folder: string, prefix: string): Promise<string[]> {
  const files: string[] = [];
  for (let i = 0; i < N; i++) {
    const file = join(dir, `${prefix}-${i}.state`);
    const r = await fuseflowEval(...argsOf(folder), '--shard', `${i}/${N}`, '--state-out', file);
    expect(r.err).toContain(`shard ${i}/${N}`);
    expect(r.code).toBe(0);
    files.push(file);
  }
  return files;
}

/** Runs `run` with the input folder renamed away (a merge that reads an input then fails). */
async function withoutInputs<T>(folder: string, run: () => Promise<T>): Promise<T> {
  renameSync(folder, `${folder}-away`);
  try {
    return await run();
  } finally {
    renameSync(`${folder}-away`, folder);
  }
}

beforeAll(() => {
  mkdirSync(f32, { recursive: true });
  // Over 16,384 rows a shard: histograms, whose bins hold both classes; every 10th score rounded to 2 decimals (ties across shards).
  writePredictionFiles(f32, { files: 8, rows: 240_000, batchRows: 10_000, seed: 21, float32: true });
  mkdirSync(f64, { recursive: true });
  writePredictionFiles(f64, { files: 4, rows: 60_000, batchRows: 10_000, seed: 22 });
});

describe('fuseflow eval map/merge refined from the shards kept keys', () => {
  it('one process = 4 shards merged from their kept keys (no input read) = the merge reading the inputs', async () => {
    const one = await fuseflowEval(...argsOf(f32), '--json');
    expect(one.code).toBe(0);
    const states = await runShards(f32, 'keys');
    for (const s of states) expect(statSync(`${s}.keys`).size).toBeGreaterThan(2 * 30_000);
    const fromKeys = await withoutInputs(f32, () => fuseflowEval('merge', ...states, '--json'));
    // AUC's and AP's histograms hold the same keys and plan the same bins: one read serves both.
    expect(fromKeys.err).toMatch(/exact refinement of 2 score histograms from the shards' kept keys \([\d.]+ MiB read in 1 pass\); no input read/);
    expect(fromKeys.code).toBe(0);
    expect(fromKeys.out).toBe(one.out);
    // One kept-keys file removed: the merge reads the inputs for the refinement, with the same JSON.
    const away = `${states[2] as string}.keys`;
    renameSync(away, `${away}.away`);
    try {
      const reread = await fuseflowEval('merge', ...states, '--json');
      expect(reread.err).toContain(`reading the inputs for the refinement of 'auc', 'aucpr' (shard 2/4's kept-keys file ${away} is missing)`);
      expect(reread.out).toBe(one.out);
      expect((await withoutInputs(f32, () => fuseflowEval('merge', ...states, '--json', '--no-progress'))).code).toBe(1);
    } finally {
      renameSync(`${away}.away`, away);
    }
  }, 120_000);

  it('shards under 16,384 rows (raw rows in their states) write the keys they would keep as histograms: merged from them = one process', async () => {
    const few = join(dir, 'few');
    mkdirSync(few, { recursive: true });
    writePredictionFiles(few, { files: 4, rows: 36_000, batchRows: 3_000, seed: 23, float32: true });
    const one = await fuseflowEval(...argsOf(few), '--json');
    const states = await runShards(few, 'few');
    const merged = await withoutInputs(few, () => fuseflowEval('merge', ...states, '--json'));
    expect(merged.err).toContain('no input read');
    expect(merged.out).toBe(one.out);
  }, 120_000);

  it('a rerun keeps an intact kept-keys file and recomputes a damaged one; the merge refuses a stale one naming it', async () => {
    const states = await runShards(f32, 'rerun');
    const keys = `${states[0] as string}.keys`;
    const bytes = readFileSync(keys);
    const mtime = statSync(keys).mtimeMs;
    const again = await fuseflowEval(...argsOf(f32), '--shard', `0/${N}`, '--state-out', states[0] as string);
    expect(again.err).toContain('already holds this shard');
    expect(statSync(keys).mtimeMs).toBe(mtime);
    const damaged = Buffer.from(bytes);
    damaged[damaged.length - 100] = (damaged[damaged.length - 100] as number) ^ 1;
    writeFileSync(keys, damaged);
    const redo = await fuseflowEval(...argsOf(f32), '--shard', `0/${N}`, '--state-out', states[0] as string);
    expect(redo.err).toContain(`its kept-keys file ${keys} is missing or not the one it recorded`);
    expect(readFileSync(keys).equals(bytes)).toBe(true);
    // Shard 1's kept keys beside shard 0's state: refused by the merge, naming the file.
    copyFileSync(`${states[1] as string}.keys`, keys);
    const stale = await fuseflowEval('merge', ...states, '--json', '--no-progress');
    expect(stale.code).toBe(1);
    expect(stale.err).toContain(`${keys}: not the kept-keys file ${states[0] as string} recorded`);
    writeFileSync(keys, bytes);
  }, 120_000);

  it("refuses someone else's file at STATE.keys unless --overwrite; float64 scores write no kept keys and remove the shard's earlier ones", async () => {
    const state = join(dir, 'other.state');
    writeFileSync(`${state}.keys`, 'not ours\n');
    const refused = await fuseflowEval(...argsOf(f32), '--shard', `0/${N}`, '--state-out', state);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(`${state}.keys: already exists; refusing to overwrite it`);
    expect(readFileSync(`${state}.keys`, 'utf8')).toBe('not ours\n');
    const forced = await fuseflowEval(...argsOf(f32), '--shard', `0/${N}`, '--state-out', state, '--overwrite');
    expect(forced.code).toBe(0);
    expect(readFileSync(`${state}.keys`).subarray(0, 8).toString('latin1')).toBe('FFKEYS01');
    // The same state path for a float64 run: no kept keys, and this shard's file of the float32 run goes.
    const wide = await fuseflowEval(...argsOf(f64), '--shard', `0/${N}`, '--state-out', state, '--overwrite');
    expect(wide.code).toBe(0);
    expect(() => statSync(`${state}.keys`)).toThrow();
    const states = await runShards(f64, 'wide');
    for (const s of states) expect(() => statSync(`${s}.keys`)).toThrow();
    const one = await fuseflowEval(...argsOf(f64), '--json');
    const merged = await fuseflowEval('merge', ...states, '--json');
    expect(merged.err).toContain('kept no keys');
    expect(merged.out).toBe(one.out);
    rmSync(state);
  }, 120_000);
});
