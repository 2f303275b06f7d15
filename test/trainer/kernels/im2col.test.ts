import { describe, expect, it } from 'vitest';
import { colCols, conv3dGeometry, type ConvGeometry } from '../../../src/trainer/kernels/conv-geometry.js';
import { im2col } from '../../../src/trainer/kernels/im2col.js';
import { values } from './backends.js';

/** The im2col matrix by its definition, element by element (row: output position; column: tap, channel). */
function naiveIm2col(x: Float32Array, g: ConvGeometry, slabStart: number, slabEnd: number): Float32Array {
  const K = colCols(g);
  const out = new Float32Array((slabEnd - slabStart) * g.outHeight * g.outWidth * K);
  let n = 0;
  for (let s = slabStart; s < slabEnd; s++) {
    const od = s % g.outDepth;
    const b = (s - od) / g.outDepth;
    for (let oh = 0; oh < g.outHeight; oh++) {
      for (let ow = 0; ow < g.outWidth; ow++, n++) {
        let k = 0;
        for (let kd = 0; kd < g.filterDepth; kd++) {
          for (let kh = 0; kh < g.filterHeight; kh++) {
            for (let kw = 0; kw < g.filterWidth; kw++) {
              const id = od * g.strideDepth + kd * g.dilationDepth - g.padFront;
              const ih = oh * g.strideHeight + kh * g.dilationHeight - g.padTop;
              const iw = ow * g.strideWidth + kw * g.dilationWidth - g.padLeft;
              const inside = id >= 0 && id < g.inDepth && ih >= 0 && ih < g.inHeight && iw >= 0 && iw < g.inWidth;
              for (let ci = 0; ci < g.inChannels; ci++, k++) {
                out[n * K + k] = inside ? (x[(((b * g.inDepth + id) * g.inHeight + ih) * g.inWidth + iw) * g.inChannels + ci] as number) : 0;
              }
            }
          }
        }
      }
    }
  }
  return out;
}

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
      const want = naiveIm2col(x, g, s0, s1);
      const got = new Float32Array(want.length).fill(Number.NaN); // every element must be written
      im2col(x, g, got, s0, s1);
      expect(Array.from(got)).toEqual(Array.from(want));
    }
  });
});
