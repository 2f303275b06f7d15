/**
 * `fuseflow eval seg`: label files on disk (MHA predictions, NIfTI ground truth) scored per label
 * against the scipy references (make-segmentation-refs.py), CIs over cases in the JSON and the
 * HTML report, and clean one-line refusals.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeImage } from '../../src/ops/image/io/write-image.js';
import { labelImage, refMasks, segRefs, threeCasesForTests } from '../eval/segmentation/label-files.js';
import { runCli } from './run-cli.js';

const dirs = threeCasesForTests();
const r = segRefs['3d'];

describe('fuseflow eval seg', () => {
  it('--json: per-case scores equal the scipy references, means with CIs over cases; --report writes them', async () => {
    const report = join(dirs.root, 'seg.html');
    const run = await runCli(
      'eval',
      'seg',
      '--pred-dir',
      dirs.pred,
      '--truth-dir',
      dirs.truth,
      '--ci',
      '200',
      '--ci-method',
      'pivotal',
      '--json',
      '--report',
      report,
      '--no-progress',
    );
    expect(run.code, run.err).toBe(0);
    const j = JSON.parse(run.out) as {
      metrics: Record<string, Record<string, Record<string, number>>>;
      cases: Record<string, Record<string, Record<string, number | null>>>;
      missing: Record<string, number>;
    };
    expect(j.cases['c1']?.['dice']?.['1']).toBeCloseTo(r.dice, 12);
    expect(j.cases['c1']?.['hd95']?.['1']).toBeCloseTo(r.hd95, 5);
    expect(j.cases['c3']?.['assd']?.['1']).toBeCloseTo(r.assd, 5);
    expect(j.cases['c2']?.['hd95']?.['2']).toBeNull();
    expect(j.missing).toEqual({ '2': 1 });
    const dice1 = j.metrics['dice']?.['1'] as Record<string, number>;
    expect(dice1['org']).toBeCloseTo((2 * r.dice + 1) / 3, 12);
    // Pivotal: 2·org − the percentile bounds; the percentile bounds are means of 3 cases from {d, 1, d}.
    expect(dice1['conf_upper']).toBeLessThanOrEqual(2 * (dice1['org'] as number) - r.dice + 1e-12);
    expect(j.metrics['hd95']?.['1']?.['org']).toBeCloseTo((2 * r.hd95) / 3, 5);
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('fuseflow segmentation report');
    expect(html).toContain('<td>dice.1</td>');
    expect(html).toContain('<td>cases.c2.dice.2</td>');
    expect(html).toMatch(/label 2: 1 case where the prediction lacks it/);
  });

  it('prints a table without --json and documents itself in --help', async () => {
    const run = await runCli('eval', 'seg', '--pred-dir', dirs.pred, '--truth-dir', dirs.truth, '--no-progress');
    expect(run.code, run.err).toBe(0);
    expect(run.out).toMatch(/^dice\.1\s+0\.\d{4}$/m);
    expect(run.out).toMatch(/^cases\.c1\.hd95\.1\s+\d/m);
    const help = await runCli('eval', 'seg', '--help');
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/--pair-pattern RE/);
    const evalHelp = await runCli('eval', '--help');
    expect(evalHelp.out).toMatch(/fuseflow eval seg --pred-dir DIR/);
  });

  it('refuses unpaired files, differing grids and bad flags in one line', async () => {
    const [a] = refMasks();
    await writeImage(labelImage(a), join(dirs.pred, 'c9.mha'));
    const unpaired = await runCli('eval', 'seg', '--pred-dir', dirs.pred, '--truth-dir', dirs.truth, '--no-progress');
    expect(unpaired.code).toBe(1);
    expect(unpaired.err).toMatch(/predictions without ground truth: .*c9\.mha/);
    expect(unpaired.err).not.toMatch(/\n\s+at /);
    rmSync(join(dirs.pred, 'c9.mha'));
    await writeImage(labelImage(a, { spacing: [0.8, 1.0, 2.0] }), join(dirs.pred, 'c1.mha'));
    const grid = await runCli('eval', 'seg', '--pred-dir', dirs.pred, '--truth-dir', dirs.truth, '--no-progress');
    expect(grid.code).toBe(1);
    expect(grid.err).toMatch(/c1\.mha' and ground truth '.*c1\.nii\.gz' are on different grids: spacing/);
    await writeImage(labelImage(a), join(dirs.pred, 'c1.mha'));
    const bad = await runCli('eval', 'seg', '--pred-dir', dirs.pred, '--truth-dir', dirs.truth, '--ci-resample', 'state', '--ci', '10');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--ci-resample must be fusemedml or rows/);
    const existing = join(dirs.root, 'exists.html');
    writeFileSync(existing, 'keep');
    const refused = await runCli('eval', 'seg', '--pred-dir', dirs.pred, '--truth-dir', dirs.truth, '--report', existing);
    expect(refused.code).toBe(1);
    expect(readFileSync(existing, 'utf8')).toBe('keep');
    expect(existsSync(existing)).toBe(true);
  });
});
