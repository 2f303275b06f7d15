import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OptionsError } from '../../src/core/errors.js';
import { epochOrder, shardOf } from '../../src/streams/epoch-order.js';

describe('epochOrder', () => {
  it('is a permutation, a pure function of (ids, seed, epoch)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string(), { maxLength: 60 }), fc.integer(), fc.nat(100), (ids, seed, epoch) => {
        const a = epochOrder(ids, { seed, epoch });
        expect(epochOrder(ids, { seed, epoch })).toEqual(a);
        expect([...a].sort()).toEqual([...ids].sort());
      }),
    );
  });

  it('changes with the epoch and the seed, and keeps the order when not shuffling', () => {
    const ids = Array.from({ length: 50 }, (_, i) => `id${i}`);
    const e0 = epochOrder(ids, { seed: 1, epoch: 0 });
    expect(epochOrder(ids, { seed: 1, epoch: 1 })).not.toEqual(e0);
    expect(epochOrder(ids, { seed: 2, epoch: 0 })).not.toEqual(e0);
    expect(epochOrder(ids, { seed: 1, epoch: 0, shuffle: false })).toEqual(ids);
  });
});

describe('shardOf', () => {
  it('every position exactly once across ranks, sizes within one, for worldSize 1..8', () => {
    fc.assert(
      fc.property(fc.nat(100), fc.integer({ min: 1, max: 8 }), fc.integer(), fc.nat(10), (n, worldSize, seed, epoch) => {
        const ids = Array.from({ length: n }, (_, i) => `s${i}`);
        const order = epochOrder(ids, { seed, epoch });
        const parts = Array.from({ length: worldSize }, (_, rank) => shardOf(order, { rank, worldSize }));
        expect(parts.flat().sort()).toEqual([...ids].sort());
        const sizes = parts.map((p) => p.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        // Uneven shards: the first n % worldSize ranks hold the extra item.
        sizes.forEach((size, rank) => expect(size).toBe(Math.floor(n / worldSize) + (rank < n % worldSize ? 1 : 0)));
      }),
    );
  });

  it('is strided', () => {
    expect(shardOf(['a', 'b', 'c', 'd', 'e'], { rank: 1, worldSize: 2 })).toEqual(['b', 'd']);
    expect(shardOf(['a', 'b', 'c', 'd', 'e'], { rank: 0, worldSize: 2 })).toEqual(['a', 'c', 'e']);
  });

  it('rejects bad shards', () => {
    expect(() => shardOf([], { rank: 0, worldSize: 0 })).toThrow(OptionsError);
    expect(() => shardOf([], { rank: -1, worldSize: 2 })).toThrow(OptionsError);
    expect(() => shardOf([], { rank: 1.5, worldSize: 2 })).toThrow(OptionsError);
  });
});

describe('shardOf in blocks', () => {
  it('every position exactly once, whole blocks per rank', () => {
    fc.assert(
      fc.property(fc.nat(60), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 7 }), (n, worldSize, block) => {
        const order = Array.from({ length: n }, (_, i) => i);
        const parts = Array.from({ length: worldSize }, (_, rank) => shardOf(order, { rank, worldSize }, block));
        expect(parts.flat().sort((a, b) => a - b)).toEqual(order);
        parts.forEach((part, rank) => part.forEach((i) => expect(Math.floor(i / block) % worldSize).toBe(rank)));
      }),
    );
    expect(shardOf(['a', 'b', 'c', 'd', 'e'], { rank: 0, worldSize: 2 }, 2)).toEqual(['a', 'b', 'e']);
    expect(() => shardOf([], { rank: 0, worldSize: 1 }, 0)).toThrow(OptionsError);
  });
});
