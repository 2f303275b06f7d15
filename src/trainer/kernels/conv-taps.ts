/**
 * Which filter taps of a convolution read inside its input (the rest read padding), for the
 * im2col/col2im loops (im2col.ts, im2col-simd.ts, col2im-simd.ts): the index arithmetic and its
 * bounds written once. Input strides are in elements times `unit` (4 for byte offsets).
 */
import type { ConvGeometry } from './conv-geometry.js';

/** Distance between neighbours of an NDHWC input along width, height, depth and batch. */
export interface InputStrides {
  readonly w: number;
  readonly h: number;
  readonly d: number;
  readonly b: number;
}

/**
 * The strides of `g`'s input, in elements times `unit` (1: array indices; 4: byte offsets).
 * @example const xs = inputStrides(g, 4); // byte offset of (b, id, ih, iw) = b·xs.b + id·xs.d + ih·xs.h + iw·xs.w
 */
export function inputStrides(g: ConvGeometry, unit = 1): InputStrides {
  const w = g.inChannels * unit;
  const h = g.inWidth * w;
  const d = g.inHeight * h;
  return { w, h, d, b: g.inDepth * d };
}

/** One filter tap (kd, kh, kw): its input offset along each axis and the output positions `[lo, hi)` that read inside the input. */
export interface FilterTap {
  readonly offD: number;
  readonly odLo: number;
  readonly odHi: number;
  readonly offH: number;
  readonly ohLo: number;
  readonly ohHi: number;
  readonly offW: number;
  readonly owLo: number;
  readonly owHi: number;
}

/**
 * `g`'s filter taps in im2col column order (kd, then kh, then kw); output position `o` of a tap
 * reads input `o·stride + off` along each axis.
 * @example for (const t of filterTaps(g)) for (let ci = 0; ci < g.inChannels; ci++, k++) { ... }
 */
export function filterTaps(g: ConvGeometry): FilterTap[] {
  const taps: FilterTap[] = [];
  for (let kd = 0; kd < g.filterDepth; kd++) {
    const offD = kd * g.dilationDepth - g.padFront;
    const [odLo, odHi] = validRange(g.outDepth, g.strideDepth, offD, g.inDepth);
    for (let kh = 0; kh < g.filterHeight; kh++) {
      const offH = kh * g.dilationHeight - g.padTop;
      const [ohLo, ohHi] = validRange(g.outHeight, g.strideHeight, offH, g.inHeight);
      for (let kw = 0; kw < g.filterWidth; kw++) {
        const offW = kw * g.dilationWidth - g.padLeft;
        const [owLo, owHi] = validRange(g.outWidth, g.strideWidth, offW, g.inWidth);
        taps.push({ offD, odLo, odHi, offH, ohLo, ohHi, offW, owLo, owHi });
      }
    }
  }
  return taps;
}

/** First and one-past-last output index whose input index `o·stride + offset` lies in [0, size). */
function validRange(outSize: number, stride: number, offset: number, size: number): readonly [number, number] {
  // o·stride + offset >= 0  and  o·stride + offset <= size - 1
  const lo = offset >= 0 ? 0 : Math.ceil(-offset / stride);
  const hiIncl = Math.floor((size - 1 - offset) / stride);
  return [Math.min(outSize, Math.max(0, lo)), Math.max(0, Math.min(outSize, hiIncl + 1))];
}

/**
 * Calls `visit(id, ih, plane)` for each filter plane (kd, kh) of output row (od, oh) that lies
 * inside the input, in ascending (kd, kh): `id`, `ih` its input depth and row, `plane` =
 * kd·FH + kh (its first column in the im2col matrix is plane·FW·Cin).
 * @example eachInsidePlane(g, od, oh, visitPlane); // visitPlane made once per call, not per row
 */
export function eachInsidePlane(g: ConvGeometry, od: number, oh: number, visit: (id: number, ih: number, plane: number) => void): void {
  for (let kd = 0; kd < g.filterDepth; kd++) {
    const id = od * g.strideDepth + kd * g.dilationDepth - g.padFront;
    if (id < 0 || id >= g.inDepth) continue;
    for (let kh = 0; kh < g.filterHeight; kh++) {
      const ih = oh * g.strideHeight + kh * g.dilationHeight - g.padTop;
      if (ih < 0 || ih >= g.inHeight) continue;
      visit(id, ih, kd * g.filterHeight + kh);
    }
  }
}
