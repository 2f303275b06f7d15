import { describe, expect, it } from 'vitest';
import { canonicalize, fingerprint } from '../../src/core/index.js';

describe('fingerprint', () => {
  it('ignores key order and sees every value', () => {
    expect(fingerprint({ a: 1, b: { c: [1, 2], d: 'x' } })).toBe(fingerprint({ b: { d: 'x', c: [1, 2] }, a: 1 }));
    expect(fingerprint({ a: 1 })).not.toBe(fingerprint({ a: 2 }));
    expect(fingerprint({ a: [1, 2] })).not.toBe(fingerprint({ a: [2, 1] }));
    expect(fingerprint({ a: '1' })).not.toBe(fingerprint({ a: 1 }));
  });

  it('hashes typed arrays by dtype and bytes', () => {
    expect(fingerprint(new Float32Array([1, 2]))).toBe(fingerprint(new Float32Array([1, 2])));
    expect(fingerprint(new Float32Array([1, 2]))).not.toBe(fingerprint(new Float64Array([1, 2])));
    expect(fingerprint(new Float32Array([1, 2]))).not.toBe(fingerprint(new Float32Array([1, 3])));
  });

  it('is stable across runs (pinned value)', () => {
    expect(canonicalize({ b: 1, a: [true, null, 'x'] })).toBe('{"a":[true,null,"x"],"b":1}');
    // sha256 of the canonical string above; a change here invalidates every user's cache.
    expect(fingerprint({ b: 1, a: [true, null, 'x'] })).toBe('54a65415ad370228851a1da4b31b6fd42dc58b19a50d35cae759325f7388ce64');
  });

  it('distinguishes -0, NaN and undefined-valued keys are dropped', () => {
    expect(canonicalize(-0)).toBe('-0');
    expect(canonicalize(Number.NaN)).toBe('NaN');
    expect(canonicalize({ a: undefined, b: 1 })).toBe(canonicalize({ b: 1 }));
  });
});
