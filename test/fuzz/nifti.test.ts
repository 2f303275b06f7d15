/**
 * Fuzz: NIfTI files cut at a random byte or with one random bit flipped, read with `readImage`
 * (the IO pool, itk-wasm's reader behind fuseflow's checks).
 *
 * The property, stated honestly. NIfTI has no checksum, so for an uncompressed .nii
 * (anatomical.nii: big-endian int16, 33×41×25, voxel data from byte 352 to the end):
 * - a cut anywhere → InputError naming the file (every cut loses declared voxel bytes);
 * - a flip in the voxel data → the same shape, dtype and geometry with exactly one voxel changed
 *   (the one holding the flipped byte), or an InputError; nothing can tell the changed voxel;
 * - a flip in the 352-byte header: the structural fields (sizeof_hdr, dim, datatype, vox_offset,
 *   magic, extension flag) → the exact image or an InputError; the geometry fields (pixdim,
 *   xyzt_units, qform/sform codes, quaternion, offsets, srow) may change the geometry alone
 *   (same shape and voxels); scl_slope/scl_inter may rescale the values alone (same shape and
 *   geometry); every other field (descriptions, intent, calibration, slice timing) → exact or InputError.
 * A .nii.gz is inflated whole and zlib checks its CRC-32 and length, so any cut or flip of
 * KmeansTest_T1RawSkullStrip.nii.gz → the exact image or an InputError naming the file.
 * Never a partial image, another error type, a crash or a hang.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import type { Image } from '../../src/core/image.js';
import { readImage } from '../../src/ops/image/io/read-image.js';
import { FuzzTally, applyDamage, damageOf, exactOrInputError, fuzzParams, type Damage } from './fuzz-kit.js';
import { ioTestFolder } from '../ops/image/io/io-test-folder.js';

const dir = ioTestFolder({ prefix: 'fuseflow-fuzz-nifti-' });

/** NIfTI-1 header byte ranges [start, end) by what a flip there may change. */
const GEOMETRY: readonly (readonly [number, number])[] = [
  [76, 108], // pixdim[0..7] (pixdim[0] is qfac)
  [123, 124], // xyzt_units
  [252, 328], // qform_code, sform_code, quatern_b/c/d, qoffset_x/y/z, srow_x/y/z
];
const SCALING: readonly (readonly [number, number])[] = [[112, 120]]; // scl_slope, scl_inter
const inside = (ranges: readonly (readonly [number, number])[], at: number): boolean => ranges.some(([s, e]) => at >= s && at < e);

/** The image as a small value that equals another image's exactly when every field and voxel does. */
function digest(img: Image): unknown {
  const { data, ...rest } = img;
  return {
    ...rest,
    type: data.constructor.name,
    sha256: createHash('sha256')
      .update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
      .digest('hex'),
  };
}

const readDigest = async (path: string): Promise<unknown> => digest(await readImage(path));

function geometryOf(img: Image): unknown {
  return { shape: img.shape, spacing: img.spacing, origin: img.origin, direction: img.direction };
}

function differingVoxels(a: Image, b: Image): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.data.length; i++) if (!Object.is(a.data[i], b.data[i])) out.push(i);
  return out;
}

/** Reads `path`; an InputError naming it is counted and returns undefined, anything else fails. */
async function readOrRefuse(tally: FuzzTally, path: string): Promise<Image | undefined> {
  try {
    return await readImage(path);
  } catch (err) {
    if (!(err instanceof InputError)) throw new Error(`expected an InputError naming ${path}, got: ${String(err)}`, { cause: err });
    expect(err.message).toContain(path);
    tally.refused++;
    return undefined;
  }
}

describe('fuzz: a damaged uncompressed NIfTI (anatomical.nii)', () => {
  const bytes = new Uint8Array(readFileSync('test/fixtures/volumes/anatomical.nii'));
  const path = join(dir, 'damaged.nii');
  let expected: Image;
  beforeAll(async () => {
    expected = await readImage('test/fixtures/volumes/anatomical.nii');
    expect(expected.shape).toEqual([25, 41, 33]);
    expect(bytes.length).toBe(352 + 2 * 25 * 41 * 33);
  });

  it('a cut → InputError; a flip in the voxel data → exactly that voxel changes, nothing else', async () => {
    const tally = new FuzzTally('nifti .nii cuts and voxel flips');
    let changed = 0;
    await fc.assert(
      fc.asyncProperty(damageOf(bytes.length), async (d: Damage) => {
        writeFileSync(path, applyDamage(bytes, d));
        if (d.kind === 'truncate') {
          const refused = tally.refused;
          await exactOrInputError(tally, path, digest(expected), () => readDigest(path));
          expect(tally.refused).toBe(refused + 1); // a cut always loses declared voxel bytes
          return;
        }
        if (d.at < 352) {
          await exactOrInputError(tally, path, digest(expected), () => readDigest(path));
          return;
        }
        const got = await readOrRefuse(tally, path);
        if (got === undefined) return;
        expect(geometryOf(got)).toEqual(geometryOf(expected));
        expect(got.dtype).toBe(expected.dtype);
        // big-endian int16 from byte 352: the flipped byte belongs to voxel ⌊(at − 352) / 2⌋
        expect(differingVoxels(expected, got)).toEqual([(d.at - 352) >> 1]);
        changed++;
      }),
      fuzzParams(24),
    );
    tally.report();
    console.log(`fuzz nifti .nii: ${changed} flips in the voxel data changed exactly their voxel (NIfTI has no checksum)`);
  });

  it('a flip in the header: structural fields → exact or InputError; geometry or scaling fields change only what they encode', async () => {
    const tally = new FuzzTally('nifti .nii header flips');
    let geometry = 0;
    let scaling = 0;
    await fc.assert(
      fc.asyncProperty(fc.record({ at: fc.integer({ min: 0, max: 351 }), bit: fc.integer({ min: 0, max: 7 }) }), async ({ at, bit }) => {
        writeFileSync(path, applyDamage(bytes, { kind: 'flip', at, bit }));
        if (!inside(GEOMETRY, at) && !inside(SCALING, at)) {
          await exactOrInputError(tally, path, digest(expected), () => readDigest(path));
          return;
        }
        const got = await readOrRefuse(tally, path);
        if (got === undefined) return;
        if (inside(GEOMETRY, at)) {
          expect(got.shape).toEqual(expected.shape);
          expect(differingVoxels(expected, got)).toEqual([]);
          if (JSON.stringify(geometryOf(got)) === JSON.stringify(geometryOf(expected))) tally.exact++;
          else geometry++;
        } else {
          expect(geometryOf(got)).toEqual(geometryOf(expected));
          if (differingVoxels(expected, got).length === 0 && got.dtype === expected.dtype) tally.exact++;
          else scaling++;
        }
      }),
      fuzzParams(40),
    );
    tally.report();
    console.log(`fuzz nifti header: ${geometry} flips changed the geometry alone, ${scaling} the value scaling alone (fields NIfTI cannot check)`);
  });
});

describe('fuzz: a damaged .nii.gz (KmeansTest_T1RawSkullStrip.nii.gz)', () => {
  it('any cut or flip → the exact image or an InputError naming the file (gzip CRC-32)', async () => {
    const source = 'test/fixtures/volumes/KmeansTest_T1RawSkullStrip.nii.gz';
    const bytes = new Uint8Array(readFileSync(source));
    const expected = await readImage(source);
    const path = join(dir, 'damaged.nii.gz');
    const tally = new FuzzTally('nifti .nii.gz');
    await fc.assert(
      fc.asyncProperty(damageOf(bytes.length), async (d: Damage) => {
        writeFileSync(path, applyDamage(bytes, d));
        await exactOrInputError(tally, path, digest(expected), () => readDigest(path));
      }),
      fuzzParams(30),
    );
    tally.report();
  });
});
