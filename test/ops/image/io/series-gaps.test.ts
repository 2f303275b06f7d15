/**
 * A DICOM series folder with a slice missing, doubled or out of line is refused with an
 * InputError naming the folder and the slices around the problem, instead of a volume with the
 * wrong slice count and a stretched z spacing (issue 9, item 6). The reference positions are the
 * series' ImagePositionPatient values projected on the slice normal (row × column cosines), worked
 * out by hand from the headers: the normal is (0, −0.134158, 0.99096).
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../../src/core/errors.js';
import { readImage } from '../../../../src/ops/image/io/read-image.js';
import { ioTestFolder } from './io-test-folder.js';
import { readRefusal } from './read-refusal.js';

const SRC = 'test/fixtures/dicom/series-mr-brain';
const NAMES = readdirSync(SRC).sort();
const tmp = ioTestFolder({ prefix: 'fuseflow-gaps-' });

/** A copy of the series in a new folder, without the files `drop`, plus `extra` files. */
function copySeries(name: string, drop: readonly string[], extra: ReadonlyMap<string, Uint8Array> = new Map()): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  for (const n of NAMES) if (!drop.includes(n)) copyFileSync(join(SRC, n), join(dir, n));
  for (const [n, bytes] of extra) writeFileSync(join(dir, n), bytes);
  return dir;
}

/** Offset and length of an explicit-VR little-endian element's value (tag group, element, VR). */
function valueAt(bytes: Uint8Array, group: number, element: number, vr: string): { start: number; length: number } {
  const needle = Buffer.from([group & 0xff, group >> 8, element & 0xff, element >> 8, vr.charCodeAt(0), vr.charCodeAt(1)]);
  const at = Buffer.from(bytes).indexOf(needle, 132);
  if (at < 0) throw new Error(`no (${group.toString(16)},${element.toString(16)}) element`);
  return { start: at + 8, length: (bytes[at + 6] as number) | ((bytes[at + 7] as number) << 8) };
}

/** A copy of a DICOM file with its InstanceNumber (0020,0013) set to `n` (same value length). */
function withInstanceNumber(bytes: Uint8Array, n: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  const { start, length } = valueAt(out, 0x0020, 0x0013, 'IS');
  out.set(Buffer.from(String(n).padEnd(length, ' ')), start);
  return out;
}

/** A copy of a DICOM file whose ImageOrientationPatient is tilted (same value length). */
function withOrientation(bytes: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes);
  const { start, length } = valueAt(out, 0x0020, 0x0037, 'DS');
  out.set(Buffer.from('1\\0\\0\\0\\0.9\\0.43589'.padEnd(length, ' ')), start);
  return out;
}

/** Position of slice `k` (1-based, brain_00k.dcm) along the normal: ipp · (0, −0.134158, 0.99096). */
function z(y: number, zz: number): number {
  return -0.134158 * y + 0.99096 * zz;
}

describe('DICOM series with a gap', () => {
  it('a missing middle slice: refused, naming the slices on each side and their positions', async () => {
    const dir = copySeries('no-008', ['brain_008.dcm']);
    const e = await readRefusal(dir);
    // brain_007: IPP (-110.5, -84.0063, -31.1575); brain_009: IPP (-110.5, -85.9063, -17.2575)
    const z7 = z(-84.0063, -31.1575).toFixed(2);
    const z9 = z(-85.9063, -17.2575).toFixed(2);
    expect(e.message).toContain(`missing slice between brain_007.dcm (z=${z7} mm) and brain_009.dcm (z=${z9} mm)`);
    expect(e.message).toMatch(/1 slice missing/);
    expect(e.message).toMatch(/InstanceNumber 7 → 9/);
  });

  it('three missing slices in a row are counted', async () => {
    const e = await readRefusal(copySeries('no-010-012', ['brain_010.dcm', 'brain_011.dcm', 'brain_012.dcm']));
    expect(e.message).toMatch(/missing slice between brain_009\.dcm .* and brain_013\.dcm .*3 slices missing/);
  });

  it('a slice present twice (same position under another name): refused as a duplicate', async () => {
    const dir = copySeries('dup', [], new Map([['copy-of-5.dcm', readFileSync(join(SRC, 'brain_005.dcm'))]]));
    const e = await readRefusal(dir);
    expect(e.message).toMatch(/brain_005\.dcm and copy-of-5\.dcm are at the same position|copy-of-5\.dcm and brain_005\.dcm are at the same position/);
  });

  it('a three-file series with its middle one missing: the 7 mm step is still told from the 14 mm gap', async () => {
    const dir = join(tmp, 'three');
    mkdirSync(dir);
    for (const n of ['brain_002.dcm', 'brain_003.dcm', 'brain_005.dcm']) copyFileSync(join(SRC, n), join(dir, n));
    const e = await readRefusal(dir);
    expect(e.message).toMatch(/missing slice between brain_003\.dcm .* and brain_005\.dcm .*1 slice missing/);
  });

  it('InstanceNumber skipping a number while the positions are even (renumbered copies): refused', async () => {
    // files 9…20 renumbered 10…21: positions untouched, so only the numbering shows a gap after 8
    const renumbered = new Map(NAMES.slice(8).map((n, i): [string, Uint8Array] => [n, withInstanceNumber(readFileSync(join(SRC, n)), 10 + i)]));
    const e = await readRefusal(copySeries('renumbered', NAMES.slice(8), renumbered));
    expect(e.message).toContain('InstanceNumber jumps from 8 (brain_008.dcm) to 10 (brain_009.dcm) where it otherwise steps by 1');
  });

  it('a slice of another orientation: refused as not one stack', async () => {
    const tilted = withOrientation(readFileSync(join(SRC, 'brain_010.dcm')));
    const e = await readRefusal(copySeries('tilted', ['brain_010.dcm'], new Map([['brain_010.dcm', tilted]])));
    expect(e.message).toMatch(/not one stack: brain_010\.dcm has ImageOrientationPatient/);
  });

  it('a slice cut before its DICM marker is refused by name, not left out (the last one would leave no gap); notes and a DICOMDIR are ignored', async () => {
    const cut = readFileSync(join(SRC, 'brain_020.dcm')).subarray(0, 13);
    const dir = copySeries('cut-last', ['brain_020.dcm'], new Map([['brain_020.dcm', cut]]));
    const err = await readImage(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).file).toBe(join(dir, 'brain_020.dcm'));
    expect((err as InputError).message).toMatch(/named like a DICOM file but not DICOM Part 10 \(no DICM marker at byte 128; 13 bytes\)/);
    const withNotes = copySeries(
      'notes',
      [],
      new Map([
        ['notes.txt', Buffer.from('scanned 2001')],
        ['DICOMDIR', Buffer.from('not read')],
      ]),
    );
    expect((await readImage(withNotes)).shape).toEqual([20, 256, 256]);
  });

  it('the whole series still reads, with the 7 mm step (positions vary by ±0.06 mm from rounding)', async () => {
    const img = await readImage(SRC);
    expect(img.shape).toEqual([20, 256, 256]);
    expect(Math.abs((img.spacing[2] as number) - 7.0005)).toBeLessThan(1e-3);
  });

  it('a missing first or last slice cannot be told from a shorter series: the remaining 19 read with the true spacing and origin', async () => {
    // What is and is not detectable: the 19 remaining slices are evenly spaced and consecutively
    // numbered (InstanceNumber 2…20 or 1…19), and the headers carry no slice count for the series
    // (ImagesInAcquisition is 1 per file here), so the volume is simply shorter. Its geometry is
    // right for the slices present: origin at the first remaining slice, 7 mm step.
    const noFirst = await readImage(copySeries('no-001', ['brain_001.dcm']));
    expect(noFirst.shape).toEqual([19, 256, 256]);
    expect(Math.abs((noFirst.spacing[2] as number) - 7.0005)).toBeLessThan(0.01);
    noFirst.origin.forEach((v, i) => expect(v).toBeCloseTo([-110.5, -79.3063, -65.7575][i] as number, 4));
    const noLast = await readImage(copySeries('no-020', ['brain_020.dcm']));
    expect(noLast.shape).toEqual([19, 256, 256]);
    expect(Math.abs((noLast.spacing[2] as number) - 7.0005)).toBeLessThan(0.01);
    noLast.origin.forEach((v, i) => expect(v).toBeCloseTo([-110.5, -78.3063, -72.7575][i] as number, 4));
  });
});
