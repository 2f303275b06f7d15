/**
 * `x.nii.gz` read from a folder that also holds an unrelated `x.nii`: itk-wasm's NIfTI library
 * looks for the voxel data under `<name>.nii` before `<name>.nii.gz`, so it took the header of
 * one file and the voxels of the other (plus stale memory past its end): a volume of the right
 * size and geometry with 195 517 wrong voxels, no error. Found by test/fuzz/nifti.test.ts, whose
 * damaged copies sat side by side. The reference is the file's own bytes, inflated by zlib.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readImage } from '../../../../src/ops/image/io/read-image.js';
import { ioTestFolder } from './io-test-folder.js';

const dir = ioTestFolder({ prefix: 'fuseflow-sibling-', oneIoThread: false });

describe('a .nii.gz beside a .nii of the same name', () => {
  it('reads its own voxels, not the other file’s', async () => {
    const source = 'test/fixtures/volumes/KmeansTest_T1RawSkullStrip.nii.gz';
    copyFileSync(source, join(dir, 'scan.nii.gz'));
    copyFileSync('test/fixtures/volumes/anatomical.nii', join(dir, 'scan.nii'));
    const voxels = gunzipSync(readFileSync(source)).subarray(352);
    const img = await readImage(join(dir, 'scan.nii.gz'));
    expect(img.shape).toEqual([62, 128, 128]);
    expect(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength).equals(voxels)).toBe(true);
    const other = await readImage(join(dir, 'scan.nii'));
    expect(other.shape).toEqual([25, 41, 33]);
  });
});
