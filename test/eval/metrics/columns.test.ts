import { describe, expect, it } from 'vitest';
import { ClassIndex } from '../../../src/eval/metrics/columns.js';

/** Each value asked twice: the first answer is looked up, the second (for small integers) remembered. */
function twice(index: ClassIndex, values: readonly unknown[]): number[][] {
  return values.map((v) => [index.indexOf(v), index.indexOf(v)]);
}

describe('ClassIndex.indexOf', () => {
  it('maps the binary set by value, whatever the type, and remembers small integers', () => {
    const index = new ClassIndex(undefined, 'test');
    const values = [0, 1, -0, 1.0, 2, -1, 0.5, Number.NaN, Number.POSITIVE_INFINITY, '1', ' 0 ', true, false, 1n, 1023, 1024, -128, -129, null, undefined];
    const expected = [0, 1, 0, 1, -1, -1, -1, -1, -1, 1, 0, 1, 0, 1, -1, -1, -1, -1, -1, -1];
    expect(twice(index, values)).toEqual(expected.map((e) => [e, e]));
  });

  it('takes a target as a class name or as its index, the name first', () => {
    // '7' is a name (index 2); 2 is also index 2; 1 is the index of 'dog'
    const index = new ClassIndex(['cat', 'dog', '7'], 'test');
    const values = ['dog', 1, 7, 2, 3, -1, 'cat', 0, '7', 7.5];
    const expected = [1, 1, 2, 2, -1, -1, 0, 0, 2, -1];
    expect(twice(index, values)).toEqual(expected.map((e) => [e, e]));
  });

  it('gives numeric class names precedence over an index of the same value', () => {
    // name '1' sits at index 0: the target 1 means that class, not index 1
    const index = new ClassIndex(['1', '0'], 'test');
    expect(twice(index, [1, 0, 1, 2, '1'])).toEqual([
      [0, 0],
      [1, 1],
      [0, 0],
      [-1, -1],
      [0, 0],
    ]);
  });
});
