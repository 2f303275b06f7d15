/**
 * Gzip bombs and headers that declare absurd sizes (issue 9, item 16): a 4 MB .nii.gz that
 * inflates to 4 GB used 2 GB of memory in `fuseflow info` before it failed. Now inflating stops
 * one 64 KiB chunk past what the header declares, and a header that declares more than fuseflow
 * reads is refused before anything is allocated. The bombs are built here: a valid NIfTI-1 header
 * (or an NRRD / MetaImage text header) followed by a deflate stream of zeros repeated block by
 * block (1 KiB of deflate per MiB of zeros).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { GUNZIP_CHUNK_BYTES, gunzipBounded } from '../../../../src/ops/image/io/gunzip-bounded.js';
import { readImage } from '../../../../src/ops/image/io/read-image.js';
import { ioTestFolder } from './io-test-folder.js';
import { readRefusal } from './read-refusal.js';

const dir = ioTestFolder({ prefix: 'fuseflow-bomb-' });

const MiB = 2 ** 20;
/** Zeros in each bomb: 4000 MiB from about 4 MB of deflate (BOMB_MIB overrides, e.g. to try the old code gently). */
const BOMB_MIB = Number(process.env['BOMB_MIB'] ?? 4000);

/** A little-endian NIfTI-1 header for a uint8 volume of `dims` voxels, data at byte 352. */
function niftiHeader(dims: readonly [number, number, number]): Buffer {
  const h = Buffer.alloc(352);
  h.writeInt32LE(348, 0);
  h.writeInt16LE(3, 40);
  dims.forEach((d, i) => h.writeInt16LE(d, 42 + 2 * i));
  for (let i = 4; i <= 7; i++) h.writeInt16LE(1, 40 + 2 * i);
  h.writeInt16LE(2, 70); // DT_UINT8
  h.writeInt16LE(8, 72); // bitpix
  for (let i = 0; i < 4; i++) h.writeFloatLE(1, 76 + 4 * i); // pixdim
  h.writeFloatLE(352, 108); // vox_offset
  h.write('n+1\0', 344, 'latin1');
  return h;
}

/** A gzip member whose content is `prefix` then `zeroMiB` MiB of zeros (trailer CRC not valid: never reached). */
function gzipBomb(prefix: Uint8Array, zeroMiB: number): Buffer {
  const head = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
  const first = deflateRawSync(prefix, { finishFlush: constants.Z_FULL_FLUSH });
  const zeros = deflateRawSync(Buffer.alloc(MiB), { level: 9, finishFlush: constants.Z_FULL_FLUSH });
  const last = Buffer.from([0x01, 0x00, 0x00, 0xff, 0xff]); // final empty stored block
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE((prefix.length + zeroMiB * MiB) % 2 ** 32, 4);
  return Buffer.concat([head, first, ...Array.from({ length: zeroMiB }, () => zeros), last, trailer]);
}

/** `fuseflow info PATH` in a child process: exit status, stderr, peak RSS in KiB. */
function run(path: string): { status: number | null; stdout: string; stderr: string; rssKiB: number } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/ops/image/io/rss-child.ts', path], { encoding: 'utf8', timeout: 60_000 });
  const rss = /maxRSS (\d+)/.exec(r.stderr);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, rssKiB: Number(rss?.[1] ?? Infinity) };
}

describe('gzip bombs and oversized headers', () => {
  const bomb = join(dir, 'bomb.nii.gz');
  beforeAll(() => writeFileSync(bomb, gzipBomb(niftiHeader([16, 16, 16]), BOMB_MIB)));

  it('a 4 MB .nii.gz inflating to 4 GB: the inflater stops one chunk past the declared 4448 bytes', async () => {
    const got = await gunzipBounded(bomb, { keep: 352, limitFor: () => 352 + 16 ** 3 });
    expect(got.kind).toBe('longer');
    expect(got.kind === 'longer' && got.inflated).toBeLessThanOrEqual(352 + 16 ** 3 + GUNZIP_CHUNK_BYTES);
    const e = await readRefusal(bomb);
    expect(e.message).toMatch(/the gzip stream holds more than the header declares: its voxel data ends at byte 4448/);
  });

  it('fuseflow info on the bomb exits 1 with bounded memory (peak RSS within 150 MiB of reading a real volume)', () => {
    const baseline = run('test/fixtures/volumes/KmeansTest_T1UCharRaw.nii.gz');
    expect(baseline.status).toBe(0);
    const r = run(bomb);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`fuseflow info: ${bomb}: the gzip stream holds more than the header declares`);
    expect(r.rssKiB - baseline.rssKiB).toBeLessThan(150 * 1024);
  });

  it('a header declaring 8 GiB (2048³ uint8) is refused before any allocation', async () => {
    const huge = join(dir, 'huge.nii.gz');
    writeFileSync(huge, gzipBomb(niftiHeader([2048, 2048, 2048]), 8));
    expect((await readRefusal(huge)).message).toMatch(/the header declares 8\.0 GiB of voxel data, more than the 2\.0 GiB fuseflow reads from one file/);
    const raw = join(dir, 'huge.nii');
    writeFileSync(raw, Buffer.concat([niftiHeader([2048, 2048, 2048]), Buffer.alloc(4096)]));
    expect((await readRefusal(raw)).message).toMatch(/declares 8\.0 GiB of voxel data/);
  });

  it('a .nii longer than its header declares is refused (a shrunken dim would otherwise read as a smaller image)', async () => {
    const long = join(dir, 'long.nii');
    writeFileSync(long, Buffer.concat([niftiHeader([16, 16, 16]), Buffer.alloc(16 ** 3 + 100)]));
    expect((await readRefusal(long)).message).toMatch(/holds 100 bytes more than the header declares \(its voxel data ends at byte 4448\)/);
  });

  it('NRRD (gzip) and MetaImage (zlib) declaring 16³ voxels followed by 4 GB of compressed zeros: the readers stop at the declared size', async () => {
    const nrrd = join(dir, 'small.nrrd');
    writeFileSync(nrrd, Buffer.concat([Buffer.from('NRRD0004\ntype: uint8\ndimension: 3\nsizes: 16 16 16\nencoding: gzip\n\n'), gzipBomb(new Uint8Array(0), BOMB_MIB)]));
    const r = run(nrrd);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ size: [16, 16, 16], min: 0, max: 0 });
    const baseline = run('test/fixtures/volumes/KmeansTest_T1UCharRaw.nii.gz');
    expect(r.rssKiB - baseline.rssKiB).toBeLessThan(150 * 1024);
    const zeros = deflateRawSync(Buffer.alloc(MiB), { level: 9, finishFlush: constants.Z_FULL_FLUSH });
    const zlib = Buffer.concat([Buffer.from([0x78, 0xda]), ...Array.from({ length: BOMB_MIB }, () => zeros), Buffer.from([0x01, 0x00, 0x00, 0xff, 0xff]), Buffer.alloc(4)]);
    const mha = join(dir, 'small.mha');
    const header = `ObjectType = Image\nNDims = 3\nDimSize = 16 16 16\nElementType = MET_UCHAR\nCompressedData = True\nCompressedDataSize = ${zlib.length}\nElementDataFile = LOCAL\n`;
    writeFileSync(mha, Buffer.concat([Buffer.from(header), zlib]));
    const img = await readImage(mha);
    expect(img.shape).toEqual([16, 16, 16]);
  });

  it('NRRD with gzip encoding and MetaImage with compressed data declaring 64 GiB: refused before the reader inflates or allocates', async () => {
    const zeros = deflateSync(Buffer.alloc(MiB));
    const nrrd = join(dir, 'bomb.nrrd');
    writeFileSync(nrrd, Buffer.concat([Buffer.from('NRRD0004\ntype: uint8\ndimension: 3\nsizes: 4096 4096 4096\nencoding: gzip\n\n'), gzipBomb(new Uint8Array(0), 4)]));
    expect((await readRefusal(nrrd)).message).toMatch(/declares 64\.0 GiB of voxel data/);
    const mha = join(dir, 'bomb.mha');
    const header = `ObjectType = Image\nNDims = 3\nDimSize = 4096 4096 4096\nElementType = MET_UCHAR\nCompressedData = True\nCompressedDataSize = ${zeros.length}\nElementDataFile = LOCAL\n`;
    writeFileSync(mha, Buffer.concat([Buffer.from(header), zeros]));
    expect((await readRefusal(mha)).message).toMatch(/declares 64\.0 GiB of voxel data/);
  });
});

/** A big-endian MGH header (version 1, uchar) for `dims` voxels, 1 frame. */
function mghHeader(dims: readonly [number, number, number]): Buffer {
  const h = Buffer.alloc(284);
  h.writeInt32BE(1, 0);
  dims.forEach((d, i) => h.writeInt32BE(d, 4 + 4 * i));
  h.writeInt32BE(1, 16); // frames
  h.writeInt32BE(0, 20); // MRI_UCHAR
  return h;
}

describe('FreeSurfer .mgz and .mgh', () => {
  it('a valid 4³ .mgz reads; one declaring 64 GiB is refused; a 4 GB bomb behind a 4³ header stops early; a cut .mgh is refused', async () => {
    const voxels = Buffer.from(Array.from({ length: 64 }, (_, i) => i));
    const good = join(dir, 'small.mgz');
    writeFileSync(good, gzipSync(Buffer.concat([mghHeader([4, 4, 4]), voxels])));
    const img = await readImage(good);
    expect(img.shape).toEqual([4, 4, 4]);
    expect(Array.from(img.data)).toEqual(Array.from(voxels));
    const huge = join(dir, 'huge.mgz');
    writeFileSync(huge, gzipBomb(mghHeader([4096, 4096, 4096]), 1));
    expect((await readRefusal(huge)).message).toMatch(/declares 64\.0 GiB of voxel data/);
    const bomb = join(dir, 'bomb.mgz');
    writeFileSync(bomb, gzipBomb(mghHeader([4, 4, 4]), BOMB_MIB));
    expect((await readRefusal(bomb)).message).toMatch(/the gzip stream holds more than the header declares/);
    const cut = join(dir, 'cut.mgh');
    writeFileSync(cut, Buffer.concat([mghHeader([4, 4, 4]), voxels.subarray(0, 10)]));
    expect((await readRefusal(cut)).message).toMatch(/truncated: the header declares 64 bytes of voxel data, the file holds 10/);
  });
});
