import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  MissingKeyError,
  closestKeys,
  createSample,
  deleteKey,
  flatten,
  getKey,
  hasKey,
  keyPaths,
  merge,
  setKey,
  subset,
  unflatten,
  sampleIdOf,
  initialSampleIdOf,
  type Sample,
} from '../../src/core/index.js';

// FuseMedML's NDict fixture (fusemedml-eval-test-values.md §D.1), as a nested object.
const fixture = (): Sample => ({ a: 1, b: { c: 2, d: 3 }, c: 4 });

describe('sample API (FuseMedML NDict semantics)', () => {
  it('gets leaves and sub-trees', () => {
    const s = fixture();
    expect(getKey(s, 'a')).toBe(1);
    expect(getKey(s, 'b.c')).toBe(2);
    expect(getKey(s, 'c')).toBe(4);
    expect(getKey(s, 'b')).toEqual({ c: 2, d: 3 });
  });

  it('sets deep paths without touching the input', () => {
    const s = fixture();
    const t = setKey(s, 'b.e.f.g', 9);
    expect(getKey(t, 'b.e.f.g')).toBe(9);
    expect((t['b'] as Record<string, Record<string, Record<string, unknown>>>)['e']?.['f']?.['g']).toBe(9);
    expect(hasKey(s, 'b.e')).toBe(false);
    expect(t['b']).not.toBe(s['b']);
  });

  it('deletes like pop: leaves, then missing keys throw', () => {
    const s1 = deleteKey(fixture(), 'b.d');
    expect(new Set(keyPaths(s1))).toEqual(new Set(['a', 'b.c', 'c']));
    const s2 = deleteKey(s1, 'c');
    expect(new Set(keyPaths(s2))).toEqual(new Set(['a', 'b.c']));
    expect(() => deleteKey(s2, 'c')).toThrow(MissingKeyError);
    expect(() => deleteKey(s2, 'x.y')).toThrow(MissingKeyError);
  });

  it('deleting a branch removes its sub-tree; emptied branches vanish', () => {
    const s = { a: { b: 1, c: 42 } };
    expect(flatten(deleteKey(s, 'a.b'))).toEqual({ 'a.c': 42 });
    expect(deleteKey(deleteKey(s, 'a.b'), 'a.c')).toEqual({});
  });

  it('lists key paths and answers contains', () => {
    const s = fixture();
    expect(new Set(keyPaths(s))).toEqual(new Set(['a', 'b.c', 'b.d', 'c']));
    for (const k of ['a', 'b', 'b.c', 'b.d', 'c']) expect(hasKey(s, k)).toBe(true);
    for (const k of ['d', 'e', 'b.e', 'a.b']) expect(hasKey(s, k)).toBe(false);
  });

  it('merges deeply, the second sample winning', () => {
    const m = merge({ a: { b: { c: null } } }, { a: { b: { d: null } } });
    expect(keyPaths(m)).toEqual(['a.b.c', 'a.b.d']);
    expect(getKey(m, 'a.b')).toEqual({ c: null, d: null });
    expect(merge({ a: 1, b: { c: 1 } }, { b: { c: 2 } })).toEqual({ a: 1, b: { c: 2 } });
  });

  it('unflattens (D.1: a.b.c=42, a.b.d=23)', () => {
    expect(unflatten({ 'a.b.c': 42, 'a.b.d': 23 })).toEqual({ a: { b: { c: 42, d: 23 } } });
  });

  it('subset keeps leaves and sub-trees', () => {
    expect(subset(fixture(), ['a', 'b'])).toEqual({ a: 1, b: { c: 2, d: 3 } });
    expect(() => subset(fixture(), ['zz'])).toThrow(MissingKeyError);
  });

  it('closest keys: exact match first, then by edit distance (D.1)', () => {
    const s = { a: { b: { c: 1 } } };
    expect(closestKeys(s, 'a', 1)).toEqual(['a']);
    expect(closestKeys(s, 'a.b', 1)).toEqual(['a.b']);
    expect(closestKeys(s, 'a.b.c', 1)).toEqual(['a.b.c']);
    expect(closestKeys(s, 'a.bb', 2)[0]).toBe('a.b');
  });

  it('a missing key error names the key, the closest keys and the sample id', () => {
    const s = setKey(createSample('case_7'), 'data.input.img', 1);
    try {
      getKey(s, 'data.input.imgg');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(MissingKeyError);
      const e = err as MissingKeyError;
      expect(e.message).toContain("'data.input.imgg'");
      expect(e.message).toContain("'case_7'");
      expect(e.closest[0]).toBe('data.input.img');
    }
  });

  it('keeps tensors as leaves', () => {
    const t = { dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) };
    const s = setKey({}, 'data.img', t);
    expect(keyPaths(s)).toEqual(['data.img']);
    expect(getKey(s, 'data.img')).toBe(t);
  });

  it('reserved sample ids', () => {
    const s = createSample('p1/slice 3', 'p1');
    expect(sampleIdOf(s)).toBe('p1/slice 3');
    expect(initialSampleIdOf(s)).toBe('p1');
    expect(initialSampleIdOf(createSample('x'))).toBe('x');
  });

  it('flatten ∘ unflatten is the identity on nested number trees (property)', () => {
    const key = fc.stringMatching(/^[a-z]{1,3}$/);
    const tree: fc.Arbitrary<Sample> = fc.letrec((tie) => ({
      node: fc.dictionary(key, fc.oneof({ depthSize: 'small' }, fc.integer(), tie('node')), { minKeys: 1, maxKeys: 4 }),
    })).node;
    fc.assert(
      fc.property(tree, (s) => {
        expect(unflatten(flatten(s))).toEqual(unflatten(flatten(unflatten(flatten(s)))));
        for (const [k, v] of Object.entries(flatten(s))) expect(getKey(unflatten(flatten(s)), k)).toEqual(v);
      }),
      { numRuns: 100 },
    );
  });
});
