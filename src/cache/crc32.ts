/**
 * CRC-32 (IEEE 802.3, the polynomial of zlib, PNG and gzip) of a byte array: zlib's own when
 * Node has it (`zlib.crc32`, Node ≥ 20.15, several GB/s), otherwise a table-driven one here that
 * gives the same value, so a cache written on one Node reads on another.
 */
import * as zlib from 'node:zlib';

const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

let table: Uint32Array | undefined;

function portable(bytes: Uint8Array): number {
  if (table === undefined) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const b of bytes) crc = (table[(crc ^ b) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * CRC-32 of `bytes` as an unsigned 32-bit integer.
 * @example crc32(Buffer.from('123456789')); // 0xcbf43926
 */
export function crc32(bytes: Uint8Array): number {
  return native === undefined ? portable(bytes) : native(bytes) >>> 0;
}

/** @internal The portable implementation, for the test that pins it to zlib's. */
export const crc32Portable = portable;
