/**
 * Writing: every written format reads back to the same voxels, dtype and geometry; NIfTI
 * scl_slope/scl_inter scaling is applied on read (checked on a header edited by hand).
 */
import { readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createImage, type Image } from '../../../../src/core/image.js';
import { readImage } from '../../../../src/ops/image/io/read-image.js';
import { writeImage } from '../../../../src/ops/image/io/write-image.js';
import { OptionsError } from '../../../../src/core/errors.js';
import { ioTestFolder } from './io-test-folder.js';

const dir = ioTestFolder({ prefix: 'fuseflow-write-' });

/** Byte equality of two pixel buffers (vitest's deep equality is slow on millions of elements). */
function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function expectSame(b: Image, a: Image): void {
  expect(b.dtype).toBe(a.dtype);
  expect(b.shape).toEqual(a.shape);
  expect(b.components).toBe(a.components);
  expect(b.spacing).toEqual(a.spacing);
  expect(b.origin).toEqual(a.origin);
  expect(b.direction).toEqual(a.direction);
  expect(sameBytes(b.data, a.data)).toBe(true);
}

describe('writeImage → readImage round trip', () => {
  it('a real int16 volume with permuted axes, in NIfTI, NIfTI.gz, NRRD, MHA and MHD+raw', async () => {
    const t1 = await readImage('test/fixtures/volumes/KmeansTest_T1UCharRaw.nii.gz');
    const before = t1.data.slice();
    for (const ext of ['nii', 'nii.gz', 'nrrd', 'mha', 'mhd']) {
      const path = join(dir, `t1.${ext}`);
      await writeImage(t1, path, { compress: ext === 'nrrd' });
      expectSame(await readImage(path), t1);
    }
    expect(sameBytes(t1.data, before)).toBe(true); // the caller's image is not detached or changed
    expect(existsSync(join(dir, 't1.raw'))).toBe(true);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('float32 with an oblique direction and negative values (NRRD and MHA keep geometry exactly)', async () => {
    const size = [7, 5, 3];
    const data = new Float32Array(7 * 5 * 3).map((_, i) => (i % 11) * -0.37 + i * 1.25);
    const c = Math.cos(0.3);
    const s = Math.sin(0.3);
    const img = createImage('float32', size, data, { spacing: [0.5, 1.25, 3], origin: [-10.5, 20.25, 3], direction: [c, -s, 0, s, c, 0, 0, 0, 1] });
    for (const ext of ['nrrd', 'mha']) {
      const path = join(dir, `f.${ext}`);
      await writeImage(img, path);
      expectSame(await readImage(path), img);
    }
    const nifti = await readImage(
      await (async () => {
        const p = join(dir, 'f.nii.gz');
        await writeImage(img, p);
        return p;
      })(),
    );
    // NIfTI stores the affine in float32: voxels exact, geometry to float32 precision
    expect(nifti.data).toEqual(img.data);
    nifti.direction.forEach((v, i) => expect(v).toBeCloseTo(img.direction[i] as number, 6));
    nifti.origin.forEach((v, i) => expect(v).toBeCloseTo(img.origin[i] as number, 5));
  });

  it('the oblique DICOM series: MHA keeps geometry bit for bit, NRRD to 1e-15 (it stores spacing × direction), NIfTI to float32', async () => {
    const series = await readImage('test/fixtures/dicom/series-mr-brain');
    const far = (x: readonly number[], y: readonly number[]): number => Math.max(...x.map((v, i) => Math.abs(v - (y[i] as number))));
    const tolerance = { mha: 0, nrrd: 1e-15, 'nii.gz': 1e-5 } as const;
    for (const [ext, tol] of Object.entries(tolerance)) {
      const path = join(dir, `series.${ext}`);
      await writeImage(series, path);
      const back = await readImage(path);
      expect(back.dtype).toBe('int16');
      expect(sameBytes(back.data, series.data)).toBe(true);
      expect(far(back.spacing, series.spacing)).toBeLessThanOrEqual(tol);
      expect(far(back.origin, series.origin)).toBeLessThanOrEqual(tol);
      expect(far(back.direction, series.direction)).toBeLessThanOrEqual(tol);
    }
  });

  it('a 2D uint8 image as PNG (exact) and JPEG (lossy), and 3-component uint8 as MHA', async () => {
    const gray = createImage(
      'uint8',
      [9, 4],
      new Uint8Array(36).map((_, i) => (i * 7) % 256),
    );
    await writeImage(gray, join(dir, 'g.png'));
    const back = await readImage(join(dir, 'g.png'));
    expect(back.dimension).toBe(2);
    expect(back.shape).toEqual([4, 9]);
    expect(back.data).toEqual(gray.data);
    // JPEG is lossy: same grid, values close on a smooth image
    const smooth = createImage(
      'uint8',
      [16, 16],
      new Uint8Array(256).map((_, i) => 60 + (i % 16) * 4 + (i >> 4) * 3),
    );
    await writeImage(smooth, join(dir, 's.jpg'));
    const jpg = await readImage(join(dir, 's.jpg'));
    expect(jpg.shape).toEqual([16, 16]);
    let err = 0;
    for (let i = 0; i < 256; i++) err = Math.max(err, Math.abs((jpg.data[i] as number) - (smooth.data[i] as number)));
    expect(err).toBeLessThan(12);
    const rgb = createImage(
      'uint8',
      [4, 3, 2],
      new Uint8Array(4 * 3 * 2 * 3).map((_, i) => (i * 13) % 251),
      { components: 3 },
    );
    await writeImage(rgb, join(dir, 'rgb.mha'));
    expectSame(await readImage(join(dir, 'rgb.mha')), rgb);
  });

  it('rejects an extension it does not write', async () => {
    const img = createImage('uint8', [2, 2], new Uint8Array(4));
    await expect(writeImage(img, join(dir, 'x.dcm'))).rejects.toBeInstanceOf(OptionsError);
    await expect(writeImage(img, join(dir, 'x.txt'))).rejects.toThrow(/cannot write/);
  });
});

describe('NIfTI intensity scaling', () => {
  it('applies scl_slope and scl_inter (big-endian header edited by hand)', async () => {
    const bytes = readFileSync('test/fixtures/volumes/anatomical.nii');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(view.getInt32(0, false)).toBe(348); // big-endian header
    view.setFloat32(112, 0.5, false); // scl_slope
    view.setFloat32(116, -3, false); // scl_inter
    const path = join(dir, 'scaled.nii');
    writeFileSync(path, bytes);
    const raw = await readImage('test/fixtures/volumes/anatomical.nii');
    const scaled = await readImage(path);
    expect(scaled.dtype === 'float32' || scaled.dtype === 'float64').toBe(true);
    for (let i = 0; i < raw.data.length; i += 97) expect(scaled.data[i]).toBe((raw.data[i] as number) * 0.5 - 3);
  });
});
