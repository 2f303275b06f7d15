/**
 * conv-taps.ts against brute force: for every tap and output position, whether the input index
 * `o·stride + k·dilation − pad` lies inside the input, checked one by one.
 */
import { describe, expect, it } from 'vitest';
import { conv3dGeometry } from '../../../src/trainer/kernels/conv-geometry.js';
import { eachInsidePlane, filterTaps, inputStrides } from '../../../src/trainer/kernels/conv-taps.js';
import { convCases } from './conv-cases.js';

/** The output positions `[lo, hi)` along one axis that read inside, by trying each (they are contiguous). */
function insideRange(outSize: number, stride: number, offset: number, size: number): [number, number] {
  const inside = Array.from({ length: outSize }, (_, o) => o * stride + offset >= 0 && o * stride + offset < size);
  const lo = inside.indexOf(true);
  if (lo < 0) return [0, 0];
  const hi = inside.lastIndexOf(true) + 1;
  expect(inside.slice(lo, hi).every(Boolean)).toBe(true);
  return [lo, hi];
}

/** Whether the range `[lo, hi)` holds the same positions as `want` (empty ranges alike). */
function sameRange(lo: number, hi: number, want: [number, number]): boolean {
  return hi <= lo ? want[1] <= want[0] : lo === want[0] && hi === want[1];
}

describe('filterTaps', () => {
  it.each(convCases)('$name: one tap per (kd, kh, kw) in that order, its offsets and inside ranges by brute force', ({ geometry: g }) => {
    const taps = filterTaps(g);
    expect(taps).toHaveLength(g.filterDepth * g.filterHeight * g.filterWidth);
    let t = 0;
    for (let kd = 0; kd < g.filterDepth; kd++)
      for (let kh = 0; kh < g.filterHeight; kh++)
        for (let kw = 0; kw < g.filterWidth; kw++, t++) {
          const tap = taps[t];
          if (tap === undefined) throw new Error(`tap ${t} missing`);
          expect([tap.offD, tap.offH, tap.offW]).toEqual([kd * g.dilationDepth - g.padFront, kh * g.dilationHeight - g.padTop, kw * g.dilationWidth - g.padLeft]);
          expect(sameRange(tap.odLo, tap.odHi, insideRange(g.outDepth, g.strideDepth, tap.offD, g.inDepth))).toBe(true);
          expect(sameRange(tap.ohLo, tap.ohHi, insideRange(g.outHeight, g.strideHeight, tap.offH, g.inHeight))).toBe(true);
          expect(sameRange(tap.owLo, tap.owHi, insideRange(g.outWidth, g.strideWidth, tap.offW, g.inWidth))).toBe(true);
        }
  });
});

describe('eachInsidePlane', () => {
  it.each(convCases)('$name: exactly the planes (kd, kh) reading inside the input, ascending, with their input depth and row', ({ geometry: g }) => {
    for (let od = 0; od < g.outDepth; od++)
      for (let oh = 0; oh < g.outHeight; oh++) {
        const want: number[][] = [];
        for (let kd = 0; kd < g.filterDepth; kd++)
          for (let kh = 0; kh < g.filterHeight; kh++) {
            const id = od * g.strideDepth + kd * g.dilationDepth - g.padFront;
            const ih = oh * g.strideHeight + kh * g.dilationHeight - g.padTop;
            if (id >= 0 && id < g.inDepth && ih >= 0 && ih < g.inHeight) want.push([id, ih, kd * g.filterHeight + kh]);
          }
        const got: number[][] = [];
        eachInsidePlane(g, od, oh, (id, ih, plane) => got.push([id, ih, plane]));
        expect(got).toEqual(want);
      }
  });
});

describe('inputStrides', () => {
  it('gives the NDHWC index of (b, d, h, w), in elements and in bytes', () => {
    const g = conv3dGeometry([2, 3, 4, 5, 6], [1, 1, 1, 6, 1], 1, 'valid', 1, 'NDHWC');
    const xs = inputStrides(g);
    expect(1 * xs.b + 2 * xs.d + 3 * xs.h + 4 * xs.w).toBe((((1 * 3 + 2) * 4 + 3) * 5 + 4) * 6);
    expect(inputStrides(g, 4)).toEqual({ w: 4 * xs.w, h: 4 * xs.h, d: 4 * xs.d, b: 4 * xs.b });
  });
});
