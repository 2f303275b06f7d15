/**
 * col2im (see `col2im` in im2col.ts) through the SIMD `addRows` kernel: for one output row and
 * filter plane, the taps of consecutive output columns are contiguous runs of `FW·Cin` floats
 * in both the im2col gradient and `dx` (undilated width), added as one call. The same additions
 * in the same order per element as the JavaScript loop, so the same bits.
 */
import { colCols, type ConvGeometry } from './conv-geometry.js';
import { eachInsidePlane, inputStrides } from './conv-taps.js';
import type { SimdKernels } from './simd-kernels.js';

/** True when {@link col2imSimd} handles `g` (undilated width). */
export function col2imSimdFits(g: ConvGeometry): boolean {
  return g.dilationWidth === 1;
}

/**
 * Scatter-adds `dCols` `[N, K]` (byte offset `dColsAt`) for slabs `[slabStart, slabEnd)` onto
 * `dx` (byte offset `dxAt`, NDHWC, `g`'s input shape); the caller zeroes `dx` once. Needs
 * {@link col2imSimdFits}.
 *
 * @example
 * col2imSimd(simd, byteOffset(backend, dCols), geometry, byteOffset(backend, dx));
 */
export function col2imSimd(simd: SimdKernels, dColsAt: number, g: ConvGeometry, dxAt: number, slabStart = 0, slabEnd = g.batch * g.outDepth): void {
  const K = colCols(g);
  const cin = g.inChannels;
  const F = 4; // bytes per float
  const xs = inputStrides(g, F);
  const xsW = xs.w;
  const rowBytes = K * F;
  const FW = g.filterWidth;
  const sw = g.strideWidth;
  const OW = g.outWidth;
  // Output columns whose whole filter row lies inside the input: [owA, owB).
  const owA = Math.min(OW, Math.max(0, Math.ceil(g.padLeft / sw)));
  const owB = Math.max(owA, Math.min(OW, Math.floor((g.inWidth - FW + g.padLeft) / sw) + 1));
  // A column whose filter row crosses the input's edge adds only its inside taps.
  const edge = (ow: number, xRow: number, nRow: number, kOff: number): void => {
    const iw0 = ow * sw - g.padLeft;
    const kwLo = Math.max(0, -iw0);
    const kwHi = Math.min(FW, g.inWidth - iw0);
    if (kwHi > kwLo) simd.addRows(xRow + (iw0 + kwLo) * xsW, 0, dColsAt + (nRow + ow) * rowBytes + kOff + kwLo * cin * F, 0, 1, (kwHi - kwLo) * cin);
  };
  // Output row (b, od, oh) at im2col row nRow: each filter plane inside the input adds its taps
  // (both visitors made once per call, not per row: closures made in the loop were most of a
  // training step's garbage).
  let b = 0;
  let nRow = 0;
  const plane = (id: number, ih: number, p: number): void => {
    const xRow = dxAt + b * xs.b + id * xs.d + ih * xs.h;
    const kOff = p * FW * cin * F;
    for (let ow = 0; ow < owA; ow++) edge(ow, xRow, nRow, kOff);
    if (owB > owA) simd.addRows(xRow + (owA * sw - g.padLeft) * xsW, sw * xsW, dColsAt + (nRow + owA) * rowBytes + kOff, rowBytes, owB - owA, FW * cin);
    for (let ow = owB; ow < OW; ow++) edge(ow, xRow, nRow, kOff);
  };
  for (let s = slabStart; s < slabEnd; s++) {
    const od = s % g.outDepth;
    b = (s - od) / g.outDepth;
    for (let oh = 0; oh < g.outHeight; oh++) {
      nRow = ((s - slabStart) * g.outHeight + oh) * OW;
      eachInsidePlane(g, od, oh, plane);
    }
  }
}
