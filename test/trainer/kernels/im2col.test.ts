import { describe, expect, it } from 'vitest';
import { conv3dGeometry } from '../../../src/trainer/kernels/conv-geometry.js';
import { im2col } from '../../../src/trainer/kernels/im2col.js';
import { values } from './backends.js';
import { im2colByDefinition } from './im2col-definition.js';

describe('im2col (filter rows copied as contiguous runs where they lie inside the input)', () => {
  it.each([
    ['3³ same, 1 channel', [2, 5, 6, 7, 1], [3, 3, 3, 1, 4], 1, 'same', 1],
    ['3³ same, 3 channels', [1, 4, 5, 6, 3], [3, 3, 3, 3, 2], 1, 'same', 1],
    ['3³ valid, stride 2', [2, 7, 7, 9, 2], [3, 3, 3, 2, 2], 2, 'valid', 1],
    ['2×3×4 same, stride 2', [1, 6, 7, 8, 2], [2, 3, 4, 2, 2], 2, 'same', 1],
    ['3³ same, dilation 2', [1, 7, 7, 7, 2], [3, 3, 3, 2, 2], 1, 'same', 2],
    ['filter wider than the input', [1, 3, 3, 2, 2], [3, 3, 3, 2, 1], 1, 'same', 1],
  ] as const)('%s: equals the element-by-element definition, whole and for a middle range of slabs', (_name, xs, fs, stride, pad, dilation) => {
    const g = conv3dGeometry([...xs], [...fs], stride, pad, dilation, 'NDHWC');
    const x = values(
      xs.reduce<number>((a, d) => a * d, 1),
      3,
    );
    const slabs = g.batch * g.outDepth;
    for (const [s0, s1] of [
      [0, slabs],
      [1, Math.max(1, slabs - 1)],
    ] as const) {
      const want = im2colByDefinition(x, g, s0, s1);
      const got = new Float32Array(want.length).fill(Number.NaN); // every element must be written
      im2col(x, g, got, s0, s1);
      expect(Array.from(got)).toEqual(Array.from(want));
    }
  });
});
