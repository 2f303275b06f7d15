import { describe, expect, it } from 'vitest';
import { im2col } from '../../../src/trainer/kernels/im2col.js';
import { values } from './backends.js';
import { convCases, inputSize, slabRanges } from './conv-cases.js';
import { im2colByDefinition } from './im2col-definition.js';

describe('im2col (filter rows copied as contiguous runs where they lie inside the input)', () => {
  it.each(convCases)('$name: equals the element-by-element definition, whole and for a middle range of slabs', ({ geometry: g }) => {
    const x = values(inputSize(g), 3);
    for (const [s0, s1] of slabRanges(g)) {
      const want = im2colByDefinition(x, g, s0, s1);
      const got = new Float32Array(want.length).fill(Number.NaN); // every element must be written
      im2col(x, g, got, s0, s1);
      expect(Array.from(got)).toEqual(Array.from(want));
    }
  });
});
