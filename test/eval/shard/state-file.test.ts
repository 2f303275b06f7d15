/**
 * State files (src/eval/shard/state-file.ts) carry a shard's metric states, not the rows the
 * fused refinement keeps in memory (histogram-kept.ts, 2 bytes a float32 row): a map step over
 * float32 scores wrote them (through the thread tagging) as incompressible bytes — a
 * 2.5·10^6-row shard's file was ~10 MB instead of ~30 KB, and deflating them cost every shard.
 * The merge of such files still equals one process.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RecordBatchFileWriter, Table, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/core/rng.js';
import { keptOf } from '../../../src/eval/metrics/histogram-kept.js';
import type { ScoreHistogramState } from '../../../src/eval/metrics/score-histogram.js';
import { readStateFile } from '../../../src/eval/shard/state-file.js';
import { tempFolder } from '../../temp-folder.js';
import { fuseflowEval } from '../../cli/run-cli.js';

const ROWS = 300_000;
const { dir } = tempFolder('fuseflow-state-file-');

/** Two Arrow files of float32 scores (the kept fast path) and int8 targets the scores rank. */
function writeFloat32Files(): void {
  const rng = Rng.fromParts([2026, 'state-file-kept']);
  for (let f = 0; f < 2; f++) {
    const pred = new Float32Array(ROWS / 2);
    const target = new Int8Array(ROWS / 2);
    for (let i = 0; i < pred.length; i++) {
      const y = rng.next() < 0.3 ? 1 : 0;
      target[i] = y;
      pred[i] = Math.min(1, Math.max(0, 0.35 + (y === 1 ? 0.2 : -0.05) + 0.5 * (rng.next() - 0.5)));
    }
    const writer = new RecordBatchFileWriter();
    for (const rb of new Table({ pred: vectorFromArray(pred), target: vectorFromArray(target) }).batches) writer.write(rb);
    writer.finish();
    writeFileSync(join(dir, `part-${f}.arrow`), writer.toUint8Array(true));
  }
}

/** Every kept-rows record inside `value` (objects, arrays, Maps). */
function keptInside(value: unknown, found: unknown[] = []): unknown[] {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return found;
  const kept = keptOf(value as ScoreHistogramState);
  if (kept !== undefined) found.push(kept);
  for (const x of value instanceof Map ? value.values() : Object.values(value)) keptInside(x, found);
  return found;
}

describe('state files', () => {
  it("of a map step over float32 scores leave out the fused refinement's kept rows; the merge still equals one process", async () => {
    writeFloat32Files();
    const args = ['--input', `${dir}/*.arrow`, '--pred', 'pred', '--target', 'target', '--metrics', 'auc,aucpr,brier', '--threads', '1', '--no-progress'];
    const one = await fuseflowEval(...args, '--json');
    expect(one.code).toBe(0);
    const files = [join(dir, 's0.state'), join(dir, 's1.state')];
    for (let i = 0; i < 2; i++) expect((await fuseflowEval(...args, '--shard', `${i}/2`, '--state-out', files[i] as string)).code).toBe(0);
    for (const file of files) {
      // Before: ~300 KB of kept keys (2 bytes a row of its 150,000); the histograms alone deflate to tens of KB.
      expect(readFileSync(file).byteLength).toBeLessThan(120_000);
      expect(keptInside(readStateFile(file).states)).toEqual([]);
    }
    const merged = await fuseflowEval('merge', ...files, '--json', '--threads', '1', '--no-progress');
    expect(merged.code).toBe(0);
    expect(merged.out).toBe(one.out);
  }, 60_000);
});
