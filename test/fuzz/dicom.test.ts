/**
 * Fuzz: DICOM files cut at a random byte or with one random bit flipped, read with `readImage`
 * (the IO pool: fuseflow's Part 10 walker and slice checks, then GDCM in itk-wasm).
 *
 * The property, stated honestly. DICOM has no checksum, and its header is a list of tagged values
 * any of which a flip can change into another valid value (a position, a pixel spacing, a rescale
 * slope, even a tag number). So:
 * - a cut → the exact image or an InputError naming the file or series folder (the walker
 *   requires every element, pixel data included, to be whole);
 * - a flip inside the pixel data → the same shape, dtype and geometry with at most the one pixel
 *   holding the flipped byte changed (16-bit uncompressed pixels here), or an InputError;
 * - a flip anywhere else → the exact image, an InputError, or (counted and reported) an image
 *   whose header-derived values changed; for a series a flip that moves a slice is caught by the
 *   slice-spacing check;
 * - never another error type, a crash of the IO worker, a wasm abort escaping as a non-InputError,
 *   or a hang (each case is bounded by the test timeout).
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import type { Image } from '../../src/core/image.js';
import { readImage } from '../../src/ops/image/io/read-image.js';
import { FuzzTally, applyDamage, damageOf, fuzzParams, type Damage } from './fuzz-kit.js';
import { ioTestFolder } from '../ops/image/io/io-test-folder.js';

const dir = ioTestFolder({ prefix: 'fuseflow-fuzz-dicom-' });

/** [start, end) of the PixelData value of an explicit-VR little-endian file. */
function pixelRange(bytes: Uint8Array): readonly [number, number] {
  const at = Buffer.from(bytes).indexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f]), 132); // (7FE0,0010) O?
  expect(at).toBeGreaterThan(132);
  const length = Buffer.from(bytes).readUInt32LE(at + 8);
  return [at + 12, at + 12 + length];
}

const geometryOf = (img: Image): unknown => ({ shape: img.shape, dtype: img.dtype, spacing: img.spacing, origin: img.origin, direction: img.direction });

function differingVoxels(a: Image, b: Image): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.data.length; i++) if (!Object.is(a.data[i], b.data[i])) out.push(i);
  return out;
}

function sameImage(a: Image, b: Image): boolean {
  const bytes = (img: Image): string =>
    createHash('sha256')
      .update(new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength))
      .digest('hex');
  return JSON.stringify(geometryOf(a)) === JSON.stringify(geometryOf(b)) && a.components === b.components && bytes(a) === bytes(b);
}

/** Outcome counts beyond the kit's tally: images changed by a flip that DICOM cannot detect. */
interface Changed {
  pixel: number;
  header: number;
}

/**
 * Reads `path` after damage `d` to `bytes` (the file at index `pixelBase` voxels into the image):
 * checks the property above and counts the outcome.
 */
async function check(tally: FuzzTally, changed: Changed, path: string, expected: Image, d: Damage, pixels: readonly [number, number], voxelBase: number): Promise<void> {
  let got: Image;
  try {
    got = await readImage(path);
  } catch (err) {
    if (!(err instanceof InputError))
      throw new Error(`expected an InputError naming ${path}, got: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`, { cause: err });
    expect(err.message).toContain(path);
    tally.refused++;
    return;
  }
  if (sameImage(got, expected)) {
    tally.exact++;
    return;
  }
  expect(d.kind).toBe('flip'); // a cut never gives a changed image
  if (d.at >= pixels[0] && d.at < pixels[1]) {
    expect(geometryOf(got)).toEqual(geometryOf(expected));
    expect(differingVoxels(expected, got)).toEqual([voxelBase + ((d.at - pixels[0]) >> 1)]);
    changed.pixel++;
    return;
  }
  changed.header++;
}

describe('fuzz: a damaged single DICOM file (MR_small.dcm, 64×64 int16)', () => {
  it('the exact image, an InputError naming the file, or a flip’s undetectable change; never a crash or a hang', async () => {
    const bytes = new Uint8Array(readFileSync('test/fixtures/dicom/single/MR_small.dcm'));
    const pixels = pixelRange(bytes);
    expect(pixels[1] - pixels[0]).toBe(64 * 64 * 2);
    const expected = await readImage('test/fixtures/dicom/single/MR_small.dcm');
    const path = join(dir, 'damaged.dcm');
    const tally = new FuzzTally('dicom single file');
    const changed: Changed = { pixel: 0, header: 0 };
    await fc.assert(
      fc.asyncProperty(damageOf(bytes.length), async (d: Damage) => {
        writeFileSync(path, applyDamage(bytes, d));
        await check(tally, changed, path, expected, d, pixels, 0);
      }),
      fuzzParams(40),
    );
    tally.report();
    console.log(
      `fuzz dicom single file: ${changed.pixel} flips in the pixel data changed exactly their pixel, ${changed.header} flips elsewhere changed the image (DICOM has no checksum)`,
    );
  });
});

describe('fuzz: a damaged file of a DICOM series (brain_002…004, 3 slices of 256×256 int16)', () => {
  it('the exact volume, an InputError naming the file or folder, or a flip’s undetectable change; never a crash or a hang', async () => {
    const names = ['brain_002.dcm', 'brain_003.dcm', 'brain_004.dcm'];
    const whole = join(dir, 'series');
    mkdirSync(whole);
    for (const n of names) copyFileSync(join('test/fixtures/dicom/series-mr-brain', n), join(whole, n));
    const expected = await readImage(whole);
    expect(expected.shape).toEqual([3, 256, 256]);
    const files = names.map((n) => new Uint8Array(readFileSync(join(whole, n))));
    const tally = new FuzzTally('dicom series');
    const changed: Changed = { pixel: 0, header: 0 };
    let round = 0;
    const size = files[0]?.length ?? 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: names.length - 1 }), damageOf(size), async (k: number, d: Damage) => {
        const folder = join(dir, `case-${round++}`);
        mkdirSync(folder);
        names.forEach((n, i) => writeFileSync(join(folder, n), i === k ? applyDamage(files[i] as Uint8Array, d) : (files[i] as Uint8Array)));
        // slices are stacked by position; these files are in position order, one 256×256 slice each
        await check(tally, changed, folder, expected, d, pixelRange(files[k] as Uint8Array), k * 256 * 256);
        rmSync(folder, { recursive: true });
      }),
      fuzzParams(24),
    );
    tally.report();
    console.log(
      `fuzz dicom series: ${changed.pixel} flips in the pixel data changed exactly their voxel, ${changed.header} flips elsewhere changed the volume (DICOM has no checksum)`,
    );
  });
});
