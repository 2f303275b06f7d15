/** groupDigits writes what `toLocaleString('en-US')` writes for whole numbers (Intl is the reference). */
import { describe, expect, it } from 'vitest';
import { groupDigits } from '../../src/core/group-digits.js';
import { Rng } from '../../src/core/rng.js';

describe('groupDigits', () => {
  it("equals Intl's en-US grouping for whole numbers of every length and sign", () => {
    const rng = Rng.fromParts([1, 'group-digits']);
    const xs = [0, 1, 12, 123, 999, 1_000, 12_345, 999_999, 1_000_000, 10_000_000, 123_456_789, Number.MAX_SAFE_INTEGER, -1, -1_234, -999_999_999];
    for (let k = 0; k < 200; k++) xs.push(Math.floor(rng.next() * 10 ** Math.floor(rng.next() * 16)) * (rng.next() < 0.2 ? -1 : 1));
    for (const x of xs) expect(groupDigits(x), String(x)).toBe(x.toLocaleString('en-US'));
  });

  it('rounds a fraction to the whole number; non-finite numbers as String writes them', () => {
    expect(groupDigits(1234.6)).toBe('1,235');
    expect(groupDigits(Number.NaN)).toBe('NaN');
    expect(groupDigits(Number.POSITIVE_INFINITY)).toBe('Infinity');
  });
});
