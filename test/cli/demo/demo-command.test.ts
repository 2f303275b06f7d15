/**
 * `fuseflow demo` (what `npm start` runs), shortened: every step runs for real on the in-repo
 * data, and the test checks what it wrote. A second volume run in the same folder must read the
 * static cache and, with the augmentation in this thread instead of 2 workers, reproduce the
 * first run's result exactly (the worker runner's bit-for-bit contract, end to end).
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { runTrainVolume } from '../../../src/cli/demo/train-volume.js';

const dir = mkdtempSync(join(tmpdir(), 'ff-demo-cmd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

interface Ci {
  org: number;
  conf_lower: number;
  conf_upper: number;
}

async function demo(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const code = await main(['demo', ...args]);
  vi.restoreAllMocks();
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const inside = (c: Ci, lo: number, hi: number): void => {
  expect(c.org).toBeGreaterThanOrEqual(lo);
  expect(c.org).toBeLessThanOrEqual(hi);
  expect(c.conf_lower).toBeLessThanOrEqual(c.org);
  expect(c.conf_upper).toBeGreaterThanOrEqual(c.org);
};

describe('fuseflow demo (shortened)', () => {
  const out = join(dir, 'run');

  it('runs stream → CV MLP → cached volume U-Net and writes predictions, reports and a summary', async () => {
    const r = await demo('--out', out, '--folds', '2', '--tabular-epochs', '3', '--volume-epochs', '3', '--replicates', '200');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
      breastCancer: { auc: Ci; accuracy: Ci; predictionFiles: string[]; report: string };
      kmeansBrain: {
        cache: { hit: boolean; folder: string };
        patches: { train: number; validation: number; shape: number[] };
        dicePerPatch: Ci;
        dicePooled: number;
        dicePooledUntrained: number;
        voxelAuc: number;
        predictionFile: string;
        report: string;
      };
    };
    // breast cancer: every row predicted once out of fold, AUC high with a CI around it
    expect(s.breastCancer.predictionFiles).toHaveLength(2);
    expect(s.breastCancer.predictionFiles.reduce((n, f) => n + tableFromIPC(readFileSync(f)).numRows, 0)).toBe(569);
    inside(s.breastCancer.auc, 0.95, 1);
    inside(s.breastCancer.accuracy, 0.85, 1);
    expect(readFileSync(s.breastCancer.report, 'utf8')).toMatch(/<html/i);
    // volume: first run fills the cache; 16 validation patches × 2048 voxels in the Arrow file
    expect(s.kmeansBrain.cache.hit).toBe(false);
    expect(readdirSync(s.kmeansBrain.cache.folder)).toEqual(expect.arrayContaining(['cache.mdb', 'pipeline.json']));
    expect(s.kmeansBrain.patches).toEqual({ train: 48, validation: 16, shape: [8, 16, 16] });
    const voxels = tableFromIPC(readFileSync(s.kmeansBrain.predictionFile));
    expect(voxels.numRows).toBe(16 * 8 * 16 * 16);
    expect(voxels.schema.fields.map((f) => f.name)).toEqual(['id', 'target', 'pred_0', 'pred_1']);
    inside(s.kmeansBrain.dicePerPatch, 0, 1);
    // hand recount from the Arrow rows: pooled Dice = 2TP / (2TP + FP + FN), per-patch Dice averaged over patches holding brain
    const ids = voxels.getChild('id')?.toArray() as string[];
    const target = voxels.getChild('target')?.toArray() as Int32Array;
    const p0 = voxels.getChild('pred_0')?.toArray() as Float32Array;
    const p1 = voxels.getChild('pred_1')?.toArray() as Float32Array;
    const perPatch = new Map<string, { tp: number; p: number; t: number }>();
    let tp = 0,
      fp = 0,
      fn = 0;
    for (let i = 0; i < voxels.numRows; i++) {
      const y = target[i] as number;
      const c = perPatch.get(ids[i] as string) ?? { tp: 0, p: 0, t: 0 };
      const argmax = (p1[i] as number) > (p0[i] as number) ? 1 : 0;
      c.tp += argmax * y;
      c.p += argmax;
      c.t += y;
      perPatch.set(ids[i] as string, c);
      const above = (p1[i] as number) >= 0.5 ? 1 : 0;
      tp += above * y;
      fp += above * (1 - y);
      fn += (1 - above) * y;
    }
    expect(s.kmeansBrain.dicePooled).toBeCloseTo((2 * tp) / (2 * tp + fp + fn), 3);
    const scored = [...perPatch.values()].filter((c) => c.t > 0);
    expect(s.kmeansBrain.dicePerPatch.org).toBeCloseTo(scored.reduce((a, c) => a + (2 * c.tp) / (c.p + c.t), 0) / scored.length, 6);
    expect(s.kmeansBrain.dicePooled).toBeGreaterThan(s.kmeansBrain.dicePooledUntrained);
    expect(s.kmeansBrain.voxelAuc).toBeGreaterThan(0.8);
    const report = readFileSync(s.kmeansBrain.report, 'utf8');
    expect(report).toMatch(/<html/i);
    expect(report).toContain('dice.1');
    // the printed summary carries the numbers with their CIs and the report paths
    expect(r.out).toContain(`AUC       ${s.breastCancer.auc.org.toFixed(4)} [95% CI ${s.breastCancer.auc.conf_lower.toFixed(4)}–${s.breastCancer.auc.conf_upper.toFixed(4)}]`);
    expect(r.out).toContain(`Dice per patch  ${s.kmeansBrain.dicePerPatch.org.toFixed(4)} [95% CI`);
    expect(r.out).toContain(s.kmeansBrain.report);
    expect(r.out).toContain('static cache fill');

    // second run in the same folder: cache hit, and in-thread augmentation gives the same result as the 2 workers did
    const again = await runTrainVolume(() => undefined, { outDir: join(out, 'kmeans-brain'), epochs: 3, threads: 0, replicates: 200 });
    expect(again.cache).toMatchObject({ hit: true, folder: s.kmeansBrain.cache.folder });
    expect(again.dice).toBe(s.kmeansBrain.dicePooled);
    expect((again.metrics['dice'] as Record<string, Ci>)['1']).toEqual(s.kmeansBrain.dicePerPatch);
  });

  it('rejects bad options with usage (exit 2)', async () => {
    const bad = await demo('--volume-epochs', '0');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--volume-epochs needs an integer ≥ 1/);
    expect((await demo('--nope', '1')).err).toMatch(/unknown option '--nope'/);
    expect((await demo('--out')).err).toMatch(/--out needs a value/);
    expect(existsSync(join(dir, 'runs'))).toBe(false);
  });
});
