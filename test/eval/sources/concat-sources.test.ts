import { describe, expect, it } from 'vitest';
import { concatSources } from '../../../src/eval/sources/concat-sources.js';
import { arraySource } from '../../../src/eval/sources/array-source.js';
import { iterableSource } from '../../../src/eval/sources/iterable-source.js';
import { OptionsError } from '../../../src/core/errors.js';
import { collect } from './collect.js';

describe('concatSources', () => {
  it('reads sources in order, tagging rows with the source index', async () => {
    const src = concatSources([arraySource({ p: [1, 2, 3] }, { name: 'a' }), arraySource({ p: [4, 5] }, { name: 'b' })], { tagColumn: 'fold' });
    const { batches, columns } = await collect(src, 2);
    expect(columns).toEqual({ p: [1, 2, 3, 4, 5], fold: [0, 0, 0, 1, 1] });
    expect(batches.map((b) => b.length)).toEqual([2, 1, 2]);
    expect(batches[2]?.where?.(1)).toEqual({ file: 'b', row: 1 });
    expect(src.reReadable).toBe(true);
  });

  it('is one-shot when a part is, and checks columns', async () => {
    expect(concatSources([arraySource({ p: [1] }), iterableSource([{ p: [2] }])]).reReadable).toBe(false);
    await expect(collect(concatSources([arraySource({ p: [1] }), arraySource({ q: [1] }, { name: 'other' })]))).rejects.toThrow(/other: columns \(q\) differ/);
    await expect(collect(concatSources([arraySource({ fold: [1] })], { tagColumn: 'fold' }))).rejects.toThrow(/already has a column 'fold'/);
    expect(() => concatSources([])).toThrow(OptionsError);
  });
});
