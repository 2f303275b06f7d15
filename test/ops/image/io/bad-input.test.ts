/**
 * Bad input: each failure is an InputError naming the file and what is wrong, and a failed read
 * leaves the pool able to read the next file.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../../src/core/errors.js';
import { readImage } from '../../../../src/ops/image/io/read-image.js';
import { writeImage } from '../../../../src/ops/image/io/write-image.js';
import { ioTestFolder } from './io-test-folder.js';
import { readRefusal } from './read-refusal.js';

const dir = ioTestFolder({ prefix: 'fuseflow-bad-' });

function cut(src: string, name: string, keep: (n: number) => number): string {
  const bytes = readFileSync(src);
  const path = join(dir, name);
  writeFileSync(path, bytes.subarray(0, keep(bytes.length)));
  return path;
}

/** Offset of CT_small's PixelData element (tag 7FE0,0010 little-endian, after the 132-byte preamble). */
function pixelDataOffset(bytes: Buffer): number {
  return bytes.indexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00]), 132);
}

async function expectInputError(path: string, what: RegExp): Promise<InputError> {
  const e = await readRefusal(path);
  expect(e.message.startsWith(`${path}: `)).toBe(true);
  expect(e.message).toMatch(what);
  return e;
}

describe('clear, typed errors naming the file', () => {
  it('a truncated .nii.gz', async () => {
    const path = cut('test/fixtures/volumes/KmeansTest_T1UCharRaw.nii.gz', 'trunc.nii.gz', (n) => n >> 1);
    await expectInputError(path, /truncated gzip|corrupt or truncated/);
  });

  it('a truncated .nii (header promises more voxels than the file holds)', async () => {
    const path = cut('test/fixtures/volumes/anatomical.nii', 'trunc.nii', () => 20_000);
    await expectInputError(path, /truncated: the header declares 67650 bytes of voxel data from offset 352, the file holds 19648/);
  });

  it('truncated MHA, NRRD and MHD + raw say how many voxel bytes are missing', async () => {
    const mask = await readImage('test/fixtures/volumes/KmeansTest_T1RawSkullStrip.nii.gz'); // 1 015 808 uint8 voxels
    for (const ext of ['mha', 'nrrd', 'mhd']) await writeImage(mask, join(dir, `whole.${ext}`));
    const mha = cut(join(dir, 'whole.mha'), 'cut.mha', () => 50_000);
    await expectInputError(mha, /truncated: the header declares 1015808 bytes of voxel data, the file holds \d+/);
    const nrrd = cut(join(dir, 'whole.nrrd'), 'cut.nrrd', () => 50_000);
    await expectInputError(nrrd, /truncated: the header declares 1015808 bytes of voxel data, the file holds \d+/);
    cut(join(dir, 'whole.raw'), 'cut.raw', () => 70_000);
    const mhd = join(dir, 'cut.mhd');
    writeFileSync(mhd, readFileSync(join(dir, 'whole.mhd'), 'latin1').replace('whole.raw', 'cut.raw'));
    await expectInputError(mhd, /truncated: the header declares 1015808 bytes of voxel data, cut.raw holds 70000/);
  });

  it('a non-image file, an empty file, a missing file', async () => {
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'patient list\n1,2,3\n');
    await expectInputError(text, /not an image in any format/);
    const fakeNifti = join(dir, 'fake.nii');
    writeFileSync(fakeNifti, 'x'.repeat(400));
    await expectInputError(fakeNifti, /not a NIfTI-1 file/);
    const empty = join(dir, 'empty.nii.gz');
    writeFileSync(empty, '');
    await expectInputError(empty, /empty/);
    await expectInputError(join(dir, 'missing.nii.gz'), /no such file/);
  });

  it('a DICOM without pixel data, and a truncated DICOM', async () => {
    const ct = readFileSync('test/fixtures/dicom/single/CT_small.dcm');
    const offset = pixelDataOffset(ct);
    expect(offset).toBeGreaterThan(132);
    const noPixels = join(dir, 'no-pixels.dcm');
    writeFileSync(noPixels, ct.subarray(0, offset));
    await expectInputError(noPixels, /no pixel data/);
    const truncated = join(dir, 'truncated.dcm');
    writeFileSync(truncated, ct.subarray(0, offset + 5000));
    await expectInputError(truncated, /truncated DICOM: the value of \(7FE0,0010\) needs 32768 bytes/);
  });

  it('a real DICOM object without pixel data (an RT plan), and a dataset without the Part 10 header', async () => {
    await expectInputError('test/fixtures/dicom/single/rtplan.dcm', /DICOM file has no pixel data/);
    await expectInputError('test/fixtures/dicom/single/no_meta.dcm', /not a DICOM file \(no DICM marker/);
  });

  it('a folder with two series; seriesUid picks one', async () => {
    const two = join(dir, 'two-series');
    mkdirSync(two);
    for (const f of ['brain_002.dcm', 'brain_003.dcm', 'brain_004.dcm']) copyFileSync(join('test/fixtures/dicom/series-mr-brain', f), join(two, f));
    copyFileSync('test/fixtures/dicom/single/CT_small.dcm', join(two, 'ct.dcm'));
    const e = await expectInputError(two, /holds 2 DICOM series: .*\(3 files\).*\(1 files\)|holds 2 DICOM series: .*\(1 files\).*\(3 files\)/);
    expect(e.message).toContain('0.0.0.0.3.8811.2.20010413115754.12432');
    const brain = await readImage(two, { seriesUid: '0.0.0.0.3.8811.2.20010413115754.12432' });
    expect(brain.shape).toEqual([3, 256, 256]);
    await expectInputError(two, /2 DICOM series/);
    const none = join(dir, 'no-dicom');
    mkdirSync(none);
    writeFileSync(join(none, 'readme.txt'), 'nothing here');
    await expectInputError(none, /no DICOM files in the folder/);
  });

  it('a DICOM series with one slice lacking pixel data names that slice', async () => {
    const folder = join(dir, 'broken-series');
    mkdirSync(folder);
    for (const f of ['brain_002.dcm', 'brain_003.dcm']) copyFileSync(join('test/fixtures/dicom/series-mr-brain', f), join(folder, f));
    const slice = readFileSync('test/fixtures/dicom/series-mr-brain/brain_004.dcm');
    writeFileSync(join(folder, 'brain_004.dcm'), slice.subarray(0, pixelDataOffset(slice)));
    const err = await readImage(folder).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).file).toBe(join(folder, 'brain_004.dcm'));
  });
});

describe('failures do not poison the pool', () => {
  it('good and bad reads interleaved, concurrently: every good read succeeds', async () => {
    const bad = cut('test/fixtures/volumes/KmeansTest_T1UCharRaw.nii.gz', 'bad.nii.gz', (n) => n - 1000);
    const paths = Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? 'test/fixtures/volumes/KmeansTest_T1RawSkullStrip.nii.gz' : bad));
    const results = await Promise.allSettled(paths.map((p) => readImage(p)));
    results.forEach((r, i) => {
      if (i % 2 === 0) expect(r.status === 'fulfilled' && r.value.shape).toEqual([62, 128, 128]);
      else expect(r.status === 'rejected' && r.reason instanceof InputError).toBe(true);
    });
    expect((await readImage('test/fixtures/volumes/KmeansTest_T1RawSkullStrip.nii.gz')).dtype).toBe('uint8');
  });
});
