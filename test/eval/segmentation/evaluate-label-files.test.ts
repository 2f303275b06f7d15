/**
 * `evaluateLabelFiles`: prediction files (MetaImage) against ground-truth files (NIfTI) paired by
 * case id; per-case Dice/IoU/HD95/ASSD equal the scipy references of make-segmentation-refs.py,
 * means over cases equal the hand-combined references; CIs over cases; refusals (unpaired files,
 * differing grids, non-label files).
 */
import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeImage } from '../../../src/ops/image/io/write-image.js';
import { evaluateLabelFiles } from '../../../src/eval/segmentation/evaluate-label-files.js';
import { pairLabelFiles } from '../../../src/eval/segmentation/pair-label-files.js';
import { labelImage, refMasks, segRefs, threeCasesForTests } from './label-files.js';

const dirs = threeCasesForTests();

const r = segRefs['3d'];

describe('evaluateLabelFiles', () => {
  it('per case and label equals the scipy references; means over cases equal the hand-combined values', async () => {
    const out = await evaluateLabelFiles({ predDir: dirs.pred, truthDir: dirs.truth });
    expect(Object.keys(out.cases)).toEqual(['c1', 'c2', 'c3']);
    const c1 = out.cases['c1'];
    const c3 = out.cases['c3'];
    const c2 = out.cases['c2'];
    if (c1 === undefined || c2 === undefined || c3 === undefined) throw new Error('cases missing');
    for (const c of [c1, c3]) {
      expect(c.dice['1']).toBeCloseTo(r.dice, 12);
      expect(c.iou['1']).toBeCloseTo(r.iou, 12);
      expect(c.hd95['1']).toBeCloseTo(r.hd95, 5); // spacing read back from float32 NIfTI
      expect(c.assd['1']).toBeCloseTo(r.assd, 5);
    }
    expect([c2.dice['1'], c2.iou['1'], c2.hd95['1'], c2.assd['1']]).toEqual([1, 1, 0, 0]);
    expect([c2.dice['2'], c2.iou['2']]).toEqual([0, 0]);
    expect(c2.hd95['2']).toBeNaN();
    expect(out.missing).toEqual({ '2': 1 });
    const m = out.metrics as unknown as Record<string, Record<string, number>>;
    expect(m['dice']?.['1']).toBeCloseTo((2 * r.dice + 1) / 3, 12);
    expect(m['dice']?.['2']).toBe(0);
    expect(m['dice']?.['average']).toBeCloseTo((2 * r.dice + 1) / 6, 12);
    expect(m['hd95']?.['1']).toBeCloseTo((2 * r.hd95) / 3, 5);
    expect(m['hd95']?.['2']).toBeNaN();
    expect(m['hd95']?.['average']).toBeCloseTo((2 * r.hd95) / 3, 5);
    expect(m['assd']?.['1']).toBeCloseTo((2 * r.assd) / 3, 5);
  });

  it('bootstrap CIs over cases: org is the mean, bounds among the resampled means, seeded', async () => {
    const a = await evaluateLabelFiles({ predDir: dirs.pred, truthDir: dirs.truth, ci: { replicates: 200, ciMethod: 'percentile' } });
    const b = await evaluateLabelFiles({ predDir: dirs.pred, truthDir: dirs.truth, ci: { replicates: 200, ciMethod: 'percentile' } });
    expect(a.metrics).toEqual(b.metrics);
    const dice1 = (a.metrics.dice as Record<string, Record<string, number>>)['1'] as Record<string, number>;
    expect(dice1['org']).toBeCloseTo((2 * r.dice + 1) / 3, 12);
    // Means of 3 cases drawn from {d, 1, d}: the lowest possible is d, the highest 1.
    expect(dice1['conf_lower']).toBeGreaterThanOrEqual(r.dice - 1e-12);
    expect(dice1['conf_upper']).toBeLessThanOrEqual(1);
    expect(dice1['conf_lower']).toBeLessThan(dice1['conf_upper'] as number);
  });

  it('refuses unpaired files (listing them), differing grids (naming both files) and non-label files', async () => {
    const [a] = refMasks();
    await writeImage(labelImage(a), join(dirs.pred, 'extra.mha'));
    await expect(evaluateLabelFiles({ predDir: dirs.pred, truthDir: dirs.truth })).rejects.toThrow(/predictions without ground truth: .*extra\.mha/);
    rmSync(join(dirs.pred, 'extra.mha'));
    renameSync(join(dirs.pred, 'c3.mha'), join(dirs.root, 'c3.mha'));
    await expect(evaluateLabelFiles({ predDir: dirs.pred, truthDir: dirs.truth })).rejects.toThrow(/ground truth without prediction: .*c3\.nii\.gz/);
    renameSync(join(dirs.root, 'c3.mha'), join(dirs.pred, 'c3.mha'));
    await writeImage(labelImage(a, { origin: [10, -20, 6] }), join(dirs.pred, 'c1.mha'));
    await expect(evaluateLabelFiles({ predDir: dirs.pred, truthDir: dirs.truth })).rejects.toThrow(
      /prediction '.*c1\.mha' and ground truth '.*c1\.nii\.gz' are on different grids: origin \[10, -20, 6\] vs \[10, -20, 5\]/,
    );
    await writeImage(labelImage(Float32Array.from(a, (v) => v * 0.7)), join(dirs.pred, 'c1.mha'));
    await expect(evaluateLabelFiles({ predDir: dirs.pred, truthDir: dirs.truth })).rejects.toThrow(/c1\.mha: not a label volume: voxel \d+ holds 0\.69999/);
    await writeImage(labelImage(a), join(dirs.pred, 'c1.mha'));
  });

  it('pairs by a --pair-pattern capture group', () => {
    const pairs = pairLabelFiles(dirs.pred, dirs.truth, { pattern: '^(c\\d)\\.' });
    expect(pairs.map((p) => p.id)).toEqual(['c1', 'c2', 'c3']);
    expect(() => pairLabelFiles(dirs.pred, dirs.truth, { pattern: '^(x)' })).toThrow(/does not match the pair pattern/);
  });
});
