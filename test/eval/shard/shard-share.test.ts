/**
 * shareOfUnits: the shards' parts cover every file (or record batch) exactly once, in order, as a
 * pure function of (files, units, i, N); parseShard reads i/N.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OptionsError } from '../../../src/core/errors.js';
import { parseShard, shareOfUnits } from '../../../src/eval/shard/shard-share.js';

describe('shareOfUnits', () => {
  it('whole files when files >= shards; record batch ranges otherwise (hand-derived cases)', () => {
    const files = ['a', 'b', 'c', 'd', 'e'];
    expect([0, 1].map((index) => shareOfUnits(files, [1, 1, 1, 1, 1], { index, count: 2 }))).toEqual([
      [{ path: 'a' }, { path: 'b' }],
      [{ path: 'c' }, { path: 'd' }, { path: 'e' }],
    ]);
    // 2 files of 3 and 2 record batches over 4 shards: units a0 a1 a2 b0 b1 → ⌊i·5/4⌋ = 0, 1, 2, 3, 5.
    expect([0, 1, 2, 3].map((index) => shareOfUnits(['a', 'b'], [3, 2], { index, count: 4 }))).toEqual([
      [{ path: 'a', recordBatches: { start: 0, end: 1 } }],
      [{ path: 'a', recordBatches: { start: 1, end: 2 } }],
      [{ path: 'a', recordBatches: { start: 2, end: 3 } }],
      [{ path: 'b' }],
    ]);
    expect(shareOfUnits(['a'], [1], { index: 1, count: 3 })).toEqual([]);
  });

  it('every unit belongs to exactly one shard, in order (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 20 }), (units, count) => {
        const files = units.map((_, f) => `f${f}`);
        const seen: string[] = [];
        for (let index = 0; index < count; index++) {
          for (const part of shareOfUnits(files, units, { index, count })) {
            const n = files.length >= count ? 1 : (units[files.indexOf(part.path)] as number);
            const { start, end } = part.recordBatches ?? { start: 0, end: n };
            for (let b = start; b < end; b++) seen.push(`${part.path}#${b}`);
          }
        }
        const want = files.flatMap((f, k) => Array.from({ length: files.length >= count ? 1 : (units[k] as number) }, (_, b) => `${f}#${b}`));
        expect(seen).toEqual(want);
      }),
      { numRuns: 200, seed: 11 },
    );
  });
});

describe('parseShard', () => {
  it('reads i/N and refuses anything else', () => {
    expect(parseShard('3/16')).toEqual({ index: 3, count: 16 });
    for (const bad of ['16/16', '1', '-1/4', '1/0', 'a/b', '1/4/2']) expect(() => parseShard(bad)).toThrow(OptionsError);
  });
});
