/**
 * The convolutions the im2col/col2im tests run (im2col.test.ts, simd-kernels.test.ts,
 * conv-taps.test.ts): 2D and 3D, same and valid padding, strides, dilation, a filter wider than
 * its input, and the fixed CNN's second convolution.
 */
import { conv3dGeometry, type ConvGeometry } from '../../../src/trainer/kernels/conv-geometry.js';

/** One convolution of the tests. */
export interface ConvCase {
  /** The test's title. */
  readonly name: string;
  readonly geometry: ConvGeometry;
}

function conv(name: string, input: number[], filter: number[], stride: number, pad: 'same' | 'valid', dilation: number): ConvCase {
  return { name, geometry: conv3dGeometry(input, filter, stride, pad, dilation, 'NDHWC') };
}

/** NDHWC input and DHWIO filter shapes, stride, padding and dilation of each case. */
export const convCases: readonly ConvCase[] = [
  conv('2D valid, fixed CNN second conv, batch 2', [2, 1, 13, 13, 32], [1, 3, 3, 32, 64], 1, 'valid', 1),
  conv('2D same, 1 channel', [3, 1, 28, 28, 1], [1, 3, 3, 1, 32], 1, 'same', 1),
  conv('2D same, stride 2, 3 channels', [2, 1, 9, 8, 3], [1, 3, 3, 3, 4], 2, 'same', 1),
  conv('2D same, dilation 2', [1, 1, 7, 7, 2], [1, 3, 3, 2, 2], 1, 'same', 2),
  conv('3³ same, 1 channel', [2, 5, 6, 7, 1], [3, 3, 3, 1, 4], 1, 'same', 1),
  conv('3³ same, 3 channels', [1, 4, 5, 6, 3], [3, 3, 3, 3, 2], 1, 'same', 1),
  conv('3³ valid, stride 2', [2, 7, 7, 9, 2], [3, 3, 3, 2, 2], 2, 'valid', 1),
  conv('2×3×4 same, stride 2', [1, 6, 7, 8, 2], [2, 3, 4, 2, 2], 2, 'same', 1),
  conv('3³ same, dilation 2', [1, 7, 7, 7, 2], [3, 3, 3, 2, 2], 1, 'same', 2),
  conv('filter wider than the input', [1, 3, 3, 2, 2], [3, 3, 3, 2, 1], 1, 'same', 1),
];

/** Elements of `g`'s input. */
export function inputSize(g: ConvGeometry): number {
  return g.batch * g.inDepth * g.inHeight * g.inWidth * g.inChannels;
}

/** The slab ranges `[start, end)` a kernel is checked on: all of `g`'s slabs, and a middle range. */
export function slabRanges(g: ConvGeometry): ReadonlyArray<readonly [number, number]> {
  const slabs = g.batch * g.outDepth;
  return [
    [0, slabs],
    [1, Math.max(1, slabs - 1)],
  ];
}
