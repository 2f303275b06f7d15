/**
 * The merge's refinement from the shards' kept keys (kept-keys.ts, kept-keys-file.ts): 4 shards'
 * first passes over float32 scores with many ties and mixed bins, each written as a state file
 * and its STATE.keys; merged and refined from the keys (no input read) they give the JSON one
 * process gives, and the merge without the keys (reading the input again), and an exact
 * sort-based AUC and AP. Each refinement pass loads at most the budget's keys; a stale or damaged
 * kept-keys file is refused naming it; a missing one, or a shard over its budget that kept none,
 * leaves the refinement to the input, with the same bits.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/core/errors.js';
import { evaluateStates, resultsOf, type EvaluatedStates } from '../../../src/eval/evaluate.js';
import { keptKib, keptLedgerBuffer, releaseKept } from '../../../src/eval/metrics/histogram-kept.js';
import type { ScoreHistogramState } from '../../../src/eval/metrics/score-histogram.js';
import { attachShardKeys } from '../../../src/eval/shard/kept-keys.js';
import { KEPT_KEYS_BLOCK_BYTES } from '../../../src/eval/shard/kept-keys-file.js';
import { writeShardKeys } from '../../../src/eval/shard/kept-keys.js';
import { checkShardSet, mergeShardStates } from '../../../src/eval/shard/shard-set.js';
import { readStateFile, writeStateFile } from '../../../src/eval/shard/state-file.js';
import { keptRanking } from '../metrics/kept-metrics.js';
import { sortedAucAp, tiedScores } from '../metrics/tied-scores.js';
import { exactJson } from '../parallel/family-data.js';
import { tempFolder } from '../../temp-folder.js';

const N = 200_000;
const SHARDS = 4;
const BATCH = 65_536;
/** Each shard keeps its 50,000 rows (twice: two histograms) within it; the merged 200,000 need 2 passes a histogram. */
const BUDGET = 300_000;
const { dir } = tempFolder('fuseflow-kept-keys-');

/** Float32 scores on a 2^-14 grid (many ties, bins holding both classes), targets ~ Bernoulli(0.3) that the scores rank. */
const data = (): { pred: Float32Array; target: Int8Array } => tiedScores({ rows: N, seed: 'kept-keys', gridBits: 14 });

/** Releases every kept row inside `state` (a shard's process would exit; here the next shard shares the ledger). */
function releaseAll(state: unknown): void {
  const KEPT = Symbol.for('fuseflow.keptRows');
  const seen = new Set<unknown>();
  const visit = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || seen.has(v) || ArrayBuffer.isView(v)) return;
    seen.add(v);
    if (KEPT in v) releaseKept(v as unknown as ScoreHistogramState);
    for (const x of v instanceof Map ? v.values() : Object.values(v)) visit(x);
  };
  visit(state);
}

/** The map step of shard `i` of the rows: its state file and kept-keys file in `dir` (prefix `name`); returns the state file. */
async function mapShard(i: number, name: string, pred: Float32Array, target: Int8Array, kept = true): Promise<string> {
  const lo = Math.floor((i * N) / SHARDS);
  const hi = Math.floor(((i + 1) * N) / SHARDS);
  const before = keptKib();
  const first = await evaluateStates({ data: { pred: pred.slice(lo, hi), target: target.slice(lo, hi) }, metrics: keptRanking(BUDGET), batchSize: BATCH, firstPassOnly: true });
  const file = join(dir, `${name}-${i}.state`);
  const names = first.metrics.map((m) => m.name);
  const keys = writeShardKeys(`${file}.keys`, first.states, names, false);
  if (kept) {
    expect(keys?.entries).toBe(2);
    // The two histograms (AUC-ROC/PR, partial AUC) kept the same keys: stored once, 2 bytes a row (plus the index).
    expect(keys?.bytes).toBeLessThan(2 * 2 * (hi - lo));
  } else expect(keys).toBeUndefined();
  writeStateFile(
    file,
    {
      kind: 'map',
      run: { test: 'kept-keys' },
      metrics: names,
      shard: { index: i, count: SHARDS },
      rows: first.rows,
      share: [],
      ...(keys === undefined ? {} : { keys }),
      writer: 'test',
    },
    first.states,
    { overwrite: true },
  );
  first.states.forEach(releaseAll);
  expect(keptKib()).toBe(before);
  return file;
}

/** The shards' states merged: with `keys`, refined from their kept-keys files first; then any other pass over the rows. */
async function merge(files: readonly string[], rows: { pred: Float32Array; target: Int8Array }, keys: boolean): Promise<EvaluatedStates & { passBytes: number[] }> {
  const set = checkShardSet(files.map(readStateFile));
  const metrics = (await evaluateStates({ data: { pred: new Float32Array(1), target: new Int8Array(1) }, metrics: keptRanking(BUDGET), firstPassOnly: true })).metrics;
  const merged = mergeShardStates(set, metrics);
  const attached = keys ? attachShardKeys(set.shards, set.metrics, merged) : { passBytes: [] };
  const done = await evaluateStates({ data: rows, metrics: keptRanking(BUDGET), batchSize: BATCH, firstPass: { states: merged, rows: set.rows } });
  return { ...done, passBytes: attached.passBytes };
}

const json = (r: EvaluatedStates): string => exactJson({ ...resultsOf(r.metrics, r.states), rows: r.rows, passes: 0, threads: 0 });

describe('refinement from the shards kept keys', () => {
  const rows = data();
  const files = (async () => {
    const out: string[] = [];
    for (let i = 0; i < SHARDS; i++) out.push(await mapShard(i, 'shard', rows.pred, rows.target));
    return out;
  })();

  it('gives the bits of one process and of the merge that reads the input, the exact AUC and AP, without reading', async () => {
    const one = await evaluateStates({ data: rows, metrics: keptRanking(BUDGET), batchSize: BATCH });
    const fromKeys = await merge(await files, rows, true);
    expect(fromKeys.passes).toBe(1);
    const reread = await merge(await files, rows, false);
    expect(reread.passes).toBeGreaterThan(1);
    expect(json(fromKeys)).toBe(json(one));
    expect(json(reread)).toBe(json(one));
    const status = resultsOf(fromKeys.metrics, fromKeys.states).status as Record<string, { exact: boolean; passes: number }>;
    expect(status['ranking']).toMatchObject({ exact: true });
    const ref = sortedAucAp(rows.pred, rows.target);
    const ranking = resultsOf(fromKeys.metrics, fromKeys.states).metrics['ranking'] as { auc: { org: number }; aucpr: { org: number } };
    expect(ranking.auc.org).toBeCloseTo(ref.auc, 13);
    expect(ranking.aucpr.org).toBeCloseTo(ref.ap, 12);
    expect(keptKib()).toBe(0);
  }, 120_000);

  it('loads at most the budget per refinement pass, though the shards kept more than it in all', async () => {
    const fromKeys = await merge(await files, rows, true);
    const stored = (await files).reduce((a, f) => a + readFileSync(`${f}.keys`).length, 0);
    expect(stored).toBeGreaterThan(BUDGET);
    // Two histograms (AUC-ROC/PR and the partial AUC), each refined in two or more passes.
    expect(fromKeys.passBytes.length).toBeGreaterThanOrEqual(4);
    for (const bytes of fromKeys.passBytes) expect(bytes).toBeLessThanOrEqual(BUDGET);
    expect(fromKeys.passBytes.reduce((a, b) => a + b, 0)).toBeGreaterThan(BUDGET);
  }, 120_000);

  it('refuses a stale kept-keys file (another run of the shard) naming it, and a damaged block when it is read', async () => {
    const shardFiles = await files;
    const other = data();
    other.target.reverse();
    const stale = await mapShard(1, 'other', other.pred, other.target);
    const target = `${shardFiles[1] as string}.keys`;
    const good = readFileSync(target);
    try {
      writeFileSync(target, readFileSync(`${stale}.keys`));
      const set = checkShardSet(shardFiles.map(readStateFile));
      const metrics = (await evaluateStates({ data: { pred: new Float32Array(1), target: new Int8Array(1) }, metrics: keptRanking(BUDGET), firstPassOnly: true })).metrics;
      const merged = mergeShardStates(set, metrics);
      expect(() => attachShardKeys(set.shards, set.metrics, merged)).toThrow(InputError);
      expect(() => attachShardKeys(set.shards, set.metrics, merged)).toThrow(new RegExp(`^${target}: not the kept-keys file ${shardFiles[1] as string} recorded`));
      // A flipped byte in the keys (of a bin holding both classes): the head still matches, the block it is in does not.
      const damaged = Buffer.from(good);
      const at = damaged.length - Math.floor(KEPT_KEYS_BLOCK_BYTES / 2) - 5;
      damaged[at] = (damaged[at] as number) ^ 0x40;
      writeFileSync(target, damaged);
      await expect(merge(shardFiles, rows, true)).rejects.toThrow(new RegExp(`^${target}: .*block \\d+ of its keys fails its checksum`));
      expect(keptKib()).toBe(0);
    } finally {
      writeFileSync(target, good);
      rmSync(stale);
      rmSync(`${stale}.keys`);
    }
  }, 120_000);

  it('leaves the refinement to the input when a shard went over its budget and kept no keys, with the same result', async () => {
    const shardFiles = [...(await files)];
    // The process's other kept rows take all but 64 KiB of the budget: shard 3 stops keeping (as one over its budget does).
    const ledger = new Int32Array(keptLedgerBuffer());
    const taken = Math.floor(BUDGET / 1024) - 64;
    Atomics.add(ledger, 0, taken);
    let over: string;
    try {
      over = await mapShard(3, 'over', rows.pred, rows.target, false);
    } finally {
      Atomics.sub(ledger, 0, taken);
    }
    shardFiles[3] = over;
    const set = checkShardSet(shardFiles.map(readStateFile));
    const metrics = (await evaluateStates({ data: { pred: new Float32Array(1), target: new Int8Array(1) }, metrics: keptRanking(BUDGET), firstPassOnly: true })).metrics;
    const attached = attachShardKeys(set.shards, set.metrics, mergeShardStates(set, metrics));
    expect(attached.attached).toBe(0);
    expect(attached.why.join()).toContain(`shard 3/4 (${over}) kept no keys`);
    const reread = await merge(shardFiles, rows, true);
    expect(reread.passes).toBeGreaterThan(1);
    expect(json(reread)).toBe(json(await merge(await files, rows, true)));
    rmSync(over);
  }, 120_000);

  it('leaves the refinement to the input when a kept-keys file is missing, with the same result', async () => {
    const shardFiles = await files;
    const target = `${shardFiles[2] as string}.keys`;
    renameSync(target, `${target}.away`);
    try {
      const set = checkShardSet(shardFiles.map(readStateFile));
      const metrics = (await evaluateStates({ data: { pred: new Float32Array(1), target: new Int8Array(1) }, metrics: keptRanking(BUDGET), firstPassOnly: true })).metrics;
      const attached = attachShardKeys(set.shards, set.metrics, mergeShardStates(set, metrics));
      expect(attached.attached).toBe(0);
      expect(attached.why.join()).toContain(`${target} is missing`);
      const withoutOne = await merge(shardFiles, rows, true);
      expect(withoutOne.passes).toBeGreaterThan(1);
      renameSync(`${target}.away`, target);
      expect(json(withoutOne)).toBe(json(await merge(shardFiles, rows, true)));
    } finally {
      rmSync(`${target}.away`, { force: true });
    }
  }, 120_000);
});
