import { describe, expect, it } from 'vitest';
import { crc32, crc32Portable } from '../../src/cache/crc32.js';
import { Rng } from '../../src/core/rng.js';

describe('crc32', () => {
  it('gives the standard check value and agrees with the portable implementation', () => {
    // The CRC-32/ISO-HDLC check value of "123456789" (the catalogue value every implementation pins).
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32Portable(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    const rng = Rng.fromParts(['crc32']);
    for (const n of [1, 7, 4096, 100_003]) {
      const bytes = Uint8Array.from({ length: n }, () => rng.nextU32() & 0xff);
      expect(crc32(bytes)).toBe(crc32Portable(bytes));
    }
  });
});
