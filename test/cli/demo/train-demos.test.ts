import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { runTrainTabular } from '../../../src/cli/demo/train-tabular.js';
import { runTrainVolume } from '../../../src/cli/demo/train-volume.js';

const dir = mkdtempSync(join(tmpdir(), 'ff-demo-train-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const quiet = (): void => undefined;

describe('training demos (shortened)', () => {
  it('breast cancer: cross-validated MLP, out-of-fold Arrow predictions, AUC with CI, HTML report', async () => {
    const s = await runTrainTabular(quiet, { outDir: join(dir, 'tab'), folds: 3, epochs: 4 });
    expect(s.predictionFiles).toHaveLength(3);
    const rows = s.predictionFiles.reduce((n, f) => n + tableFromIPC(readFileSync(f)).numRows, 0);
    expect(rows).toBe(569);
    const aucCi = s.metrics['auc'] as { org: number; conf_lower: number; conf_upper: number };
    expect(aucCi.org).toBeGreaterThan(0.97);
    expect(aucCi.conf_lower).toBeLessThanOrEqual(aucCi.org);
    expect(aucCi.conf_upper).toBeGreaterThanOrEqual(aucCi.org);
    expect(readFileSync(s.reportPath, 'utf8')).toMatch(/<html/i);
  });

  it("breast cancer: a second run in the same folder replaces the demo's own fold runs (no refusal, no appended log)", async () => {
    const out = join(dir, 'tab-twice');
    await runTrainTabular(quiet, { outDir: out, folds: 2, epochs: 2 });
    const again = await runTrainTabular(quiet, { outDir: out, folds: 2, epochs: 3 });
    expect(again.predictionFiles).toHaveLength(2);
    for (const f of [0, 1]) {
      const lines = readFileSync(join(out, `fold-${f}`, 'log.jsonl'), 'utf8')
        .trim()
        .split('\n');
      expect(lines.map((l) => (JSON.parse(l) as { epoch: number }).epoch)).toEqual([0, 1, 2]);
    }
  });

  it('KmeansTest brain mask: U-Net on patches improves validation Dice over the untrained model', async () => {
    const s = await runTrainVolume(quiet, { outDir: join(dir, 'vol'), epochs: 3, threads: 0, replicates: 100 });
    expect(s.patches).toEqual({ train: 48, validation: 16, shape: [8, 16, 16] });
    expect(s.cache.hit).toBe(false);
    expect(s.dice).toBeGreaterThan(s.diceBeforeTraining);
    expect(existsSync(join(dir, 'vol', 'unet3d', 'best.ckpt'))).toBe(true);
    expect(existsSync(s.predictionFile) && existsSync(s.reportPath)).toBe(true);
  });
});
