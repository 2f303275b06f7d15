/**
 * Refinement rounds when the map shards kept their keys (STATE.keys, float32 scores): `fuseflow
 * eval merge … --next-pass-out PLAN` refines AUC/AP from the keys itself, prints the results and
 * writes PLAN marked complete with the refined states, so every shard's `--pass PLAN` exits
 * without reading its input and the merge of their files prints one process's JSON (the inputs
 * moved away). A rerun of that merge writes the same plan bytes; a kept-keys file missing gives
 * today's real round; keys of one histogram but not the other (over the kept-rows budget) refine
 * the one in the plan's merge and leave a round for the other; shards small enough to hold raw
 * rows, keys removed, refine from the merged raw rows and the plan holds the refined states (it
 * held the unrefined ones, and the final merge refused its pass files).
 */
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { keptLedgerBuffer } from '../../src/eval/metrics/histogram-kept.js';
import { readStateFile } from '../../src/eval/shard/state-file.js';
import { tempFolder } from '../temp-folder.js';
import { shuffled, writePredictionFiles } from '../eval/shard/prediction-files.js';
import { fuseflowEval } from './run-cli.js';

const { dir } = tempFolder('fuseflow-eval-rounds-keys-');
const N = 4;
const argsOf = (folder: string): string[] => ['--input', `${folder}/part-*.arrow`, '--pred', 'pred', '--target', 'target', '--metrics', 'auc,aucpr,accuracy', '--no-progress'];

/** Runs shards 0..N-1 of `runArgs` with `extra` flags into `prefix-i.state`; returns the files by index. */
async function shards(prefix: string, runArgs: readonly string[], extra: readonly string[] = []): Promise<string[]> {
  const files = Array.from({ length: N }, (_, i) => join(dir, `${prefix}-${i}.state`));
  for (let i = 0; i < N; i++) {
    const r = await fuseflowEval(...runArgs, ...extra, '--shard', `${i}/${N}`, '--state-out', files[i] as string);
    expect(r.err).toContain(`shard ${i}/${N}`);
    expect(r.code).toBe(0);
  }
  return files;
}

/** Runs `fn` with `folder` renamed away (a step that reads an input then fails). */
async function withoutInputs<T>(folder: string, fn: () => Promise<T>): Promise<T> {
  renameSync(folder, `${folder}-away`);
  try {
    return await fn();
  } finally {
    renameSync(`${folder}-away`, folder);
  }
}

const big = join(dir, 'big');
const small = join(dir, 'small');

beforeAll(() => {
  // 20,000 rows a shard: score histograms whose bins hold both classes; ties across shards.
  mkdirSync(big, { recursive: true });
  writePredictionFiles(big, { files: 8, rows: 80_000, batchRows: 2_500, seed: 31, float32: true });
  // 9,000 rows a shard: raw rows in each state, a histogram once merged.
  mkdirSync(small, { recursive: true });
  writePredictionFiles(small, { files: 4, rows: 36_000, batchRows: 3_000, seed: 32, float32: true });
});

describe('fuseflow eval: refinement rounds from the shards kept keys', () => {
  it('merge --next-pass-out refines from the keys and writes a complete plan; the pass shards read nothing; the final merge prints one process (inputs away)', async () => {
    const args = argsOf(big);
    const one = await fuseflowEval(...args, '--json');
    expect(one.code).toBe(0);
    const maps = await shards('map', args);
    for (const m of maps) expect(readStateFile(m).header.keys).toBeDefined();
    const plan = join(dir, 'plan-1.state');
    const first = await withoutInputs(big, () => fuseflowEval('merge', ...shuffled(maps, 3), '--next-pass-out', plan, '--json'));
    expect(first.code).toBe(0);
    expect(first.err).toMatch(/^fuseflow eval merge: exact refinement of 2 score histograms from the shards' kept keys \([\d.]+ MiB read in 1 pass\); no input read$/m);
    expect(first.err).not.toContain('round 2 needed');
    expect(first.out).toBe(one.out);
    const header = readStateFile(plan).header;
    expect(header).toMatchObject({ kind: 'plan', round: 2, complete: true, passes: [], rows: 80_000, shard: { count: N } });
    // A rerun of the merge (a retried job) replaces its own plan with the same bytes.
    const bytes = readFileSync(plan);
    expect((await fuseflowEval('merge', ...maps, '--next-pass-out', plan, '--no-progress')).code).toBe(0);
    expect(readFileSync(plan).equals(bytes)).toBe(true);
    const passes = await shards('pass', args, ['--pass', plan]);
    for (const f of passes) expect(readStateFile(f).header).toMatchObject({ kind: 'pass', round: 2, complete: true, rows: 0, metrics: [] });
    const rerun = await fuseflowEval(...args, '--pass', plan, '--shard', `2/${N}`, '--state-out', passes[2] as string);
    expect(rerun.err).toContain('nothing read');
    const last = await withoutInputs(big, () => fuseflowEval('merge', ...shuffled(passes, 7), '--json', '--no-progress'));
    expect(last.err).toBe('');
    expect(last.code).toBe(0);
    expect(last.out).toBe(one.out);
    // Their merge with --next-pass-out: the same JSON and a complete plan again (the complete round read no input, so it counts no pass).
    const plan2 = join(dir, 'plan-2.state');
    const closing = await withoutInputs(big, () => fuseflowEval('merge', ...passes, '--json', '--next-pass-out', plan2, '--no-progress'));
    expect(closing.out).toBe(one.out);
    expect(readStateFile(plan2).header).toMatchObject({ kind: 'plan', round: 2, complete: true });
    // The table says one pass over the input, as a plain merge from the keys does.
    const table = await withoutInputs(big, () => fuseflowEval('merge', ...passes, '--no-progress'));
    const plain = await withoutInputs(big, () => fuseflowEval('merge', ...maps, '--no-progress'));
    expect(table.out).toBe(plain.out);
    expect(table.out).toContain('; 1 pass');
  }, 180_000);

  it("a shard's kept-keys file missing: today's real round (plan not complete, the pass shards read their shares), the same JSON", async () => {
    const args = argsOf(big);
    const one = await fuseflowEval(...args, '--json');
    const maps = Array.from({ length: N }, (_, i) => join(dir, `map-${i}.state`));
    const away = `${maps[1] as string}.keys`;
    renameSync(away, `${away}.away`);
    try {
      const plan = join(dir, 'plan-nokeys.state');
      const m1 = await fuseflowEval('merge', ...maps, '--next-pass-out', plan, '--json', '--no-progress');
      expect(m1.code).toBe(0);
      expect(m1.out).toBe('');
      expect(m1.err).toMatch(/^fuseflow eval merge: round 2 needed \(auc: exact order inside \d+ score bins/);
      expect(readStateFile(plan).header).toMatchObject({ kind: 'plan', round: 2, complete: false });
      const passes = await shards('nokeys-pass', args, ['--pass', plan]);
      for (const f of passes) expect(readStateFile(f).header.rows).toBeGreaterThan(0);
      const last = await withoutInputs(big, () => fuseflowEval('merge', ...passes, '--json', '--no-progress'));
      expect(last.err).toBe('');
      expect(last.out).toBe(one.out);
    } finally {
      renameSync(`${away}.away`, away);
    }
  }, 180_000);

  it("one histogram's keys kept, the other's not (the process's kept-rows budget nearly full in the map step): the plan's merge refines the one, the round reads for the other; the same JSON", async () => {
    const args = argsOf(big);
    const one = await fuseflowEval(...args, '--json');
    // The process's other kept rows take all but 70 KiB of the 1e9-byte budget: a shard of 20,000 rows keeps one histogram's rows (about 45 KiB), not both.
    const ledger = new Int32Array(keptLedgerBuffer());
    const taken = Math.floor(1e9 / 1024) - 70;
    Atomics.add(ledger, 0, taken);
    let maps: string[];
    try {
      maps = await shards('half-map', [...args, '--threads', '1']);
    } finally {
      Atomics.sub(ledger, 0, taken);
    }
    for (const m of maps) expect(readStateFile(m).header.keys).toMatchObject({ entries: 1 });
    const plan = join(dir, 'half-plan.state');
    const m1 = await fuseflowEval('merge', ...maps, '--next-pass-out', plan, '--json');
    expect(m1.code).toBe(0);
    expect(m1.out).toBe('');
    expect(m1.err).toMatch(/^fuseflow eval merge: exact refinement of 1 score histogram from the shards' kept keys/);
    const header = readStateFile(plan).header;
    expect(header).toMatchObject({ kind: 'plan', round: 2, complete: false });
    expect(header.passes).toHaveLength(1);
    const passes = await shards('half-pass', args, ['--pass', plan]);
    for (const f of passes) expect(readStateFile(f).header.metrics).toHaveLength(1);
    const last = await withoutInputs(big, () => fuseflowEval('merge', ...passes, '--json', '--no-progress'));
    expect(last.err).toBe('');
    expect(last.out).toBe(one.out);
    // The plain merge of the same states (the one refined from keys, the other from the inputs here) agrees.
    expect((await fuseflowEval('merge', ...maps, '--json', '--no-progress')).out).toBe(one.out);
  }, 180_000);

  it('shards holding raw rows: with their keys, a complete plan; without (removed), the merged raw rows refine and the plan holds the refined states; both give one process', async () => {
    const args = argsOf(small);
    const one = await fuseflowEval(...args, '--json');
    const maps = await shards('small-map', args);
    for (const withKeys of [true, false]) {
      if (!withKeys) for (const m of maps) renameSync(`${m}.keys`, `${m}.keys.away`);
      const plan = join(dir, `small-plan-${String(withKeys)}.state`);
      const m1 = await fuseflowEval('merge', ...maps, '--next-pass-out', plan, '--json', '--no-progress');
      expect(m1.err).toBe('');
      expect(m1.out).toBe(one.out);
      expect(readStateFile(plan).header).toMatchObject({ kind: 'plan', round: 2, complete: true });
      const passes = await shards(`small-pass-${String(withKeys)}`, args, ['--pass', plan]);
      const last = await withoutInputs(small, () => fuseflowEval('merge', ...passes, '--json', '--no-progress'));
      expect(last.err).toBe('');
      expect(last.code).toBe(0);
      expect(last.out).toBe(one.out);
    }
  }, 180_000);
});
