import { describe, expect, it } from 'vitest';
import { copyAndHash, laneHash, laneHashReference } from '../../src/cache/lane-hash.js';
import { Rng } from '../../src/core/rng.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
/** Bytes i·31+7 mod 251, as `pattern` in lane-hash-reference.py. */
const pattern = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) % 251);

/**
 * Printed by `python3 test/cache/lane-hash-reference.py` (plain Python integers; with Debian's
 * python3-xxhash installed it also checks the lanes finish to the library's xxh64).
 */
const KNOWN: readonly (readonly [string, Uint8Array, string])[] = [
  ["''", new Uint8Array(0), 'd6b5c0adee27ea604febd4273daeb2c200000000000000007935147a4e86c861'],
  ["'abc'", Buffer.from('abc'), 'e8d3c1810913da1ad29c64e35b340e7f0000000000000000912f294d79d27a6d'],
  ["'123456789'", Buffer.from('123456789'), 'f2781fb9b03f8eb5fba230c819251bac0000000000000000912f294d79d27a6d'],
  ['pattern(31)', pattern(31), 'd95a3d095019c1bca87dcda1c0595cf68d09e48331e4222bb9a4277379c3cf86'],
  ['pattern(32)', pattern(32), 'd95a3d095019c1bca87dcda1c0595cf68d09e48331e4222bb9a4a76aea5aa11f'],
  ['pattern(33)', pattern(33), '46c5972534a81f23206a62f6d242912fa81ac2d71f4e0a48b3ca5083dca14700'],
  ['pattern(1000)', pattern(1000), 'bf43050aaf7850cca2f8c0543503f2774af36d34e866be429e0a5cf62cb7680a'],
  ['pattern(131072)', pattern(131072), 'd05bf7fbe67e2ffc93e98f041c8296716eea838320b5801380930135a1b10034'],
  ['pattern(131073)', pattern(131073), 'c6e2e8b101432581625a5ed23f1691f1f06115dee74d1968b0f5329317bdddb2'],
  ['pattern(300001)', pattern(300001), '605f35539bca92e2c2208ae6225dfb6708d06b6a7c434cba108b6d652aafd393'],
];

describe('lane hash (cache payload digest)', () => {
  it('gives the known answers of the independent Python reference, in WebAssembly, in BigInt and through copyAndHash', () => {
    for (const [name, bytes, want] of KNOWN) {
      expect(hex(laneHash(bytes)), name).toBe(want);
      expect(hex(laneHashReference(bytes)), name).toBe(want);
      const { copy, digest } = copyAndHash(bytes);
      expect(hex(digest), name).toBe(want);
      expect(Buffer.compare(copy, Buffer.from(bytes)), name).toBe(0);
    }
  });

  it('agrees with the BigInt version on seeded random lengths and offsets (chunk boundaries included)', () => {
    const rng = Rng.fromParts(['lane-hash']);
    const big = Uint8Array.from({ length: 400_000 }, () => rng.int(0, 255));
    for (let i = 0; i < 24; i++) {
      const start = rng.int(0, 63);
      const n = i < 4 ? ([131_071, 131_072, 131_073, 262_144][i] ?? 0) : rng.int(0, 300_000);
      const part = big.subarray(start, start + n);
      expect(hex(laneHash(part))).toBe(hex(laneHashReference(part)));
    }
  });

  it('changes for every single flipped bit (exhaustive over 320 bytes) and for any damage inside one 32-byte stripe', () => {
    const bytes = pattern(320);
    const base = hex(laneHash(bytes));
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const damaged = Uint8Array.from(bytes);
      damaged[bit >> 3] = (damaged[bit >> 3] as number) ^ (1 << (bit & 7));
      expect(hex(laneHash(damaged)) === base, `bit ${bit}`).toBe(false);
    }
    const rng = Rng.fromParts(['lane-hash', 'stripe']);
    for (let i = 0; i < 2000; i++) {
      const damaged = Uint8Array.from(bytes);
      const stripe = rng.int(0, 9) * 32;
      let changed = false;
      for (let j = 0; j < 32; j++) {
        if (rng.bool(0.3)) {
          const v = rng.int(0, 255);
          changed ||= v !== damaged[stripe + j];
          damaged[stripe + j] = v;
        }
      }
      if (changed) expect(hex(laneHash(damaged)) === base, `case ${i}`).toBe(false);
    }
  });

  it('copyAndHash gives an 8-byte-aligned buffer of its own that later writes to the source do not reach', () => {
    const src = Buffer.from(pattern(200_003));
    const { copy, digest } = copyAndHash(src.subarray(3));
    expect(copy.byteOffset % 8).toBe(0);
    expect(copy.buffer).not.toBe(src.buffer);
    src.fill(0);
    expect(hex(laneHash(copy))).toBe(hex(digest));
    expect(hex(digest)).toBe(hex(laneHashReference(pattern(200_003).subarray(3))));
  });
});
