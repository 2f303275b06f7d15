/**
 * Reading real files, compared with values computed independently by nibabel and pydicom
 * (test/fixtures/imaging-reference.py → imaging-reference.json), not by itk-wasm.
 */
import { copyFileSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { imageSize, type Image } from '../../../../src/core/image.js';
import { readImage } from '../../../../src/ops/image/io/read-image.js';
import { ioTestFolder } from './io-test-folder.js';

interface Probe {
  readonly index: readonly number[];
  readonly value: number;
}
interface Ref {
  readonly dtype?: string;
  readonly size: readonly number[];
  readonly spacing?: readonly number[];
  readonly pixelSpacing?: readonly number[];
  readonly origin: readonly number[];
  readonly direction?: readonly number[];
  readonly min: number;
  readonly max: number;
  readonly sum: number;
  readonly probes: readonly Probe[];
  readonly meanSliceStep?: number;
  readonly sliceThickness?: number;
}
const REF = JSON.parse(readFileSync('test/fixtures/imaging-reference.json', 'utf8')) as {
  nifti: Record<string, Ref>;
  dicom: Record<string, Ref>;
  series: Record<string, Ref>;
};
const ref = (group: Record<string, Ref>, name: string): Ref => {
  const r = group[name];
  if (r === undefined) throw new Error(`no reference for ${name}`);
  return r;
};

/** Value at index (i, j, k) in file order: x fastest. */
function at(img: Image, [i, j, k]: readonly number[]): number {
  const [nx, ny] = imageSize(img) as [number, number];
  return img.data[((k ?? 0) * ny + (j ?? 0)) * nx + (i ?? 0)] as number;
}

function stats(img: Image): { min: number; max: number; sum: number } {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of img.data) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  return { min, max, sum };
}

function expectMatches(img: Image, r: Ref): void {
  expect(imageSize(img)).toEqual(r.size);
  expect(stats(img)).toEqual({ min: r.min, max: r.max, sum: r.sum });
  for (const p of r.probes) expect(at(img, p.index)).toBe(p.value);
}

const tmp = ioTestFolder({ prefix: 'fuseflow-read-', oneIoThread: false });

describe('readImage on NIfTI', () => {
  it('KmeansTest T1: negative x step and permuted axes give nibabel’s affine in LPS', async () => {
    const r = ref(REF.nifti, 'KmeansTest_T1UCharRaw.nii.gz');
    const img = await readImage('test/fixtures/volumes/KmeansTest_T1UCharRaw.nii.gz');
    expect(img.dtype).toBe(r.dtype);
    expect(img.shape).toEqual([62, 128, 128]);
    expect(img.spacing).toEqual(r.spacing);
    expect(img.origin).toEqual(r.origin);
    expect(img.direction).toEqual(r.direction);
    // hand check of the layout: column 1 (index axis y) points to +z world, column 2 (index z) to -y (LPS)
    expect(img.direction).toEqual([1, 0, 0, 0, 0, -1, 0, 1, 0]);
    expectMatches(img, r);
    // the world point of voxel (1, 2, 3) from nibabel's RAS affine is (-2, -245, 4); in LPS (2, 245, 4)
    const idx = [1, 2, 3];
    const at = (v: readonly number[], i: number): number => v[i] ?? NaN;
    const world = [0, 1, 2].map((row) => at(img.origin, row) + [0, 1, 2].reduce((s, c) => s + at(img.direction, row * 3 + c) * at(img.spacing, c) * at(idx, c), 0));
    expect(world).toEqual([2, 245, 4]);
  });

  it('KmeansTest label map and skull strip share the T1 grid and keep their labels', async () => {
    for (const name of ['KmeansTest_T1KmeansPrelimSegmentation.nii.gz', 'KmeansTest_T1RawSkullStrip.nii.gz']) {
      const r = ref(REF.nifti, name);
      const img = await readImage(`test/fixtures/volumes/${name}`);
      expect(img.dtype).toBe('uint8');
      expect(img.origin).toEqual(r.origin);
      expect(img.direction).toEqual(r.direction);
      expectMatches(img, r);
    }
  });

  it('anatomical.nii: big-endian int16 values come out in native order', async () => {
    const r = ref(REF.nifti, 'anatomical.nii');
    const img = await readImage('test/fixtures/volumes/anatomical.nii');
    expect(img.dtype).toBe('int16');
    expect(img.spacing).toEqual(r.spacing);
    expect(img.origin).toEqual(r.origin);
    expect(img.direction).toEqual(r.direction);
    expectMatches(img, r);
  });
});

describe('readImage on DICOM', () => {
  it('CT_small.dcm: values in HU after RescaleIntercept -1024, geometry from the header', async () => {
    const r = ref(REF.dicom, 'CT_small.dcm');
    const img = await readImage('test/fixtures/dicom/single/CT_small.dcm');
    expect(img.spacing.slice(0, 2)).toEqual(r.pixelSpacing);
    expect(img.origin).toEqual(r.origin);
    expect(img.direction).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expectMatches(img, r);
    expect(at(img, [0, 0, 0])).toBe(175 - 1024); // stored value 175 in pydicom's pixel_array
  });

  it('MR_small.dcm', async () => {
    const r = ref(REF.dicom, 'MR_small.dcm');
    const img = await readImage('test/fixtures/dicom/single/MR_small.dcm');
    expect(img.origin).toEqual(r.origin);
    expectMatches(img, r);
  });

  it('MR_small in other encodings (implicit VR, big-endian, RLE, JPEG 2000 lossless, padded) decodes to the same pixels', async () => {
    const reference = await readImage('test/fixtures/dicom/single/MR_small.dcm');
    for (const name of ['MR_small_implicit.dcm', 'MR_small_bigendian.dcm', 'MR_small_RLE.dcm', 'MR_small_jp2klossless.dcm', 'MR_small_padded.dcm']) {
      const img = await readImage(`test/fixtures/dicom/single/${name}`);
      expect(img.shape).toEqual(reference.shape);
      expect(img.origin).toEqual(reference.origin);
      expect(Buffer.from(img.data.buffer).equals(Buffer.from(reference.data.buffer))).toBe(true);
    }
  });

  it('the 20-slice MR series: sorted by position, 7 mm step from ImagePositionPatient (SliceThickness says 5)', async () => {
    const r = ref(REF.series, 'series-mr-brain');
    const img = await readImage('test/fixtures/dicom/series-mr-brain');
    expect(img.dtype).toBe('int16');
    expect(img.spacing[0]).toBe(r.pixelSpacing?.[0]);
    expect(img.spacing[1]).toBe(r.pixelSpacing?.[1]);
    expect(r.sliceThickness).toBe(5);
    expect(img.spacing[2]).toBeCloseTo(r.meanSliceStep as number, 6);
    expect(Math.abs((img.spacing[2] as number) - 7)).toBeLessThan(0.01);
    expect(img.origin).toEqual(r.origin);
    img.direction.forEach((v, i) => expect(v).toBeCloseTo(r.direction?.[i] as number, 6));
    expectMatches(img, r);
  });

  it('sorts slices by position, not by file name: the series under scrambled names reads the same', async () => {
    const src = 'test/fixtures/dicom/series-mr-brain';
    const names = readdirSync(src).sort();
    // file i gets a name that sorts in a scrambled order (a fixed permutation: 7·i mod 20)
    names.forEach((name, i) => copyFileSync(join(src, name), join(tmp, `slice-${String.fromCharCode(97 + ((7 * i) % 20))}.dcm`)));
    const original = await readImage(src);
    const scrambled = await readImage(tmp);
    expect(scrambled.origin).toEqual(original.origin);
    expect(scrambled.spacing).toEqual(original.spacing);
    expect(Buffer.from(scrambled.data.buffer).equals(Buffer.from(original.data.buffer))).toBe(true);
  });
});
