/**
 * `fuseflow info`: one JSON object per image, exit 1 with the path and the problem for bad files,
 * exit 2 for usage errors.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';

const dir = mkdtempSync(join(tmpdir(), 'fuseflow-info-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

async function info(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const code = await main(['info', ...args]);
  vi.restoreAllMocks();
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('fuseflow info', () => {
  it('prints size, spacing, origin, direction, dtype, components, min and max of a NIfTI file', async () => {
    const r = await info('test/fixtures/volumes/KmeansTest_T1UCharRaw.nii.gz');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({
      size: [128, 128, 62],
      spacing: [2, 2, 3],
      origin: [0, 254, 0],
      direction: [1, 0, 0, 0, 0, -1, 0, 1, 0],
      dtype: 'int16',
      components: 1,
      min: 0,
      max: 255,
    });
  });

  it('describes a DICOM series folder (7 mm slices) and a CT slice in HU', async () => {
    const series = JSON.parse((await info('test/fixtures/dicom/series-mr-brain')).out) as { size: number[]; spacing: number[]; min: number; max: number };
    expect(series.size).toEqual([256, 256, 20]);
    expect(series.spacing[2]).toBeCloseTo(7.0005, 3);
    expect([series.min, series.max]).toEqual([0, 1059]);
    const ct = JSON.parse((await info('test/fixtures/dicom/single/CT_small.dcm')).out) as { min: number; max: number };
    expect([ct.min, ct.max]).toEqual([-896, 1167]); // pydicom: pixel_array + RescaleIntercept (-1024)
  });

  it('exits 1 naming the path and the problem for a truncated file; 2 for usage errors', async () => {
    const bad = join(dir, 'half.nii.gz');
    writeFileSync(bad, readFileSync('test/fixtures/volumes/KmeansTest_T1UCharRaw.nii.gz').subarray(0, 100_000));
    const r = await info(bad);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain(`fuseflow info: ${bad}: `);
    expect(r.err).toMatch(/gzip/);
    expect((await info()).code).toBe(2);
    expect((await info('a', 'b')).code).toBe(2);
    expect((await info('--bogus', 'a')).code).toBe(2);
  });

  it('a series folder with one slice missing exits 1 naming the gap (was: 19 slices, z spacing 7.389 mm, exit 0)', async () => {
    const src = 'test/fixtures/dicom/series-mr-brain';
    const gap = join(dir, 'gap');
    mkdirSync(gap);
    for (const n of readdirSync(src)) if (n !== 'brain_008.dcm') copyFileSync(join(src, n), join(gap, n));
    const r = await info(gap);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(new RegExp(`^fuseflow info: ${gap}: missing slice between brain_007\\.dcm \\(z=-19\\.61 mm\\) and brain_009\\.dcm \\(z=-5\\.58 mm\\)`));
  });

  it('a folder with two series: the hint names --series, and --series UID reads the one named', async () => {
    const two = join(dir, 'two');
    mkdirSync(two);
    for (const n of ['brain_002.dcm', 'brain_003.dcm', 'brain_004.dcm']) copyFileSync(join('test/fixtures/dicom/series-mr-brain', n), join(two, n));
    copyFileSync('test/fixtures/dicom/single/CT_small.dcm', join(two, 'ct.dcm'));
    const r = await info(two);
    expect(r.code).toBe(1);
    expect(r.err).toContain('holds 2 DICOM series');
    expect(r.err).toContain('pick one with --series UID');
    expect(r.err).not.toContain('seriesUid');
    const brain = await info(two, '--series', '0.0.0.0.3.8811.2.20010413115754.12432');
    expect(brain.code).toBe(0);
    expect(JSON.parse(brain.out)).toMatchObject({ size: [256, 256, 3], dtype: 'int16' });
    const ct = await info('--series', '1.3.6.1.4.1.5962.1.3.1.1.20040119072730.12322', two);
    expect(ct.code).toBe(0);
    expect(JSON.parse(ct.out)).toMatchObject({ size: [128, 128, 1], min: -896, max: 1167 });
    const none = await info(two, '--series', '1.2.3');
    expect(none.code).toBe(1);
    expect(none.err).toContain("no series '1.2.3' in the folder");
  });

  it('as a process: stdout is exactly one JSON line, bad input exits non-zero', () => {
    const ok = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'info', 'test/fixtures/volumes/anatomical.nii'], { encoding: 'utf8', timeout: 50_000 });
    expect(ok.status).toBe(0);
    expect(ok.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(ok.stdout)).toMatchObject({ size: [33, 41, 25], dtype: 'int16', min: -610, max: 30393 });
    const bad = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'info', 'package.json'], { encoding: 'utf8', timeout: 50_000 });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('package.json: not an image');
  });
});
