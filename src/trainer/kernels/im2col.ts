/**
 * im2col / col2im on channels-last volumes, written directly on Float32Arrays (the wasm heap).
 * With them a convolution gradient becomes one matrix multiply, which the wasm backend runs
 * through XNNPACK.
 *
 * Layout: row `n = ((b·OD + od)·OH + oh)·OW + ow` is one output position; column
 * `k = ((kd·FH + kh)·FW + kw)·Cin + ci` is one filter tap and input channel, so a `[K, Cout]`
 * matrix is exactly a DHWIO (or HWIO) filter.
 */
import { colCols, type ConvGeometry } from './conv-geometry.js';
import { filterTaps, inputStrides } from './conv-taps.js';

/**
 * Writes the transposed im2col matrix `[K, N]` of `x` (NDHWC, `g`'s input shape) into `out`
 * (length K·N); positions that fall in the padding are 0. Only the rows of slabs
 * `[slabStart, slabEnd)` are written, a slab being one (batch, output depth) pair of OH·OW rows,
 * so a large convolution can be processed in bounded chunks.
 *
 * @example
 * im2colTransposed(xHeap, geometry, colsHeap); // then dW = colsT @ dy2d
 */
export function im2colTransposed(x: Float32Array, g: ConvGeometry, out: Float32Array, slabStart = 0, slabEnd = g.batch * g.outDepth): void {
  const N = (slabEnd - slabStart) * g.outHeight * g.outWidth;
  const cin = g.inChannels;
  const xs = inputStrides(g);
  const outHW = g.outHeight * g.outWidth;
  const colStep = g.strideWidth * xs.w;
  let k = 0;
  for (const { offD, odLo, odHi, offH, ohLo, ohHi, offW, owLo, owHi } of filterTaps(g)) {
    for (let ci = 0; ci < cin; ci++, k++) {
      const row = out.subarray(k * N, (k + 1) * N);
      row.fill(0);
      for (let s = slabStart; s < slabEnd; s++) {
        const od = s % g.outDepth;
        if (od < odLo || od >= odHi) continue;
        const b = (s - od) / g.outDepth;
        const xD = b * xs.b + (od * g.strideDepth + offD) * xs.d;
        const nD = (s - slabStart) * outHW;
        for (let oh = ohLo; oh < ohHi; oh++) {
          let xi = xD + (oh * g.strideHeight + offH) * xs.h + (owLo * g.strideWidth + offW) * xs.w + ci;
          const nH = nD + oh * g.outWidth;
          for (let ow = owLo; ow < owHi; ow++, xi += colStep) row[nH + ow] = x[xi] as number;
        }
      }
    }
  }
}

/**
 * Scatter-adds an im2col-shaped gradient `dCols` `[N, K]` for slabs `[slabStart, slabEnd)` onto
 * `dx` (NDHWC, `g`'s input shape); the caller zeroes `dx` once before the first slab.
 *
 * @example
 * col2im(dColsHeap, geometry, dxHeap); // dCols = dy2d @ Wᵀ
 */
export function col2im(dCols: Float32Array, g: ConvGeometry, dx: Float32Array, slabStart = 0, slabEnd = g.batch * g.outDepth): void {
  // Output position by output position, then its taps: filter plane by plane (as col2imSimd, by
  // eachInsidePlane) is the same additions in the same order per element but ~1.7x the CPU time
  // here on 3D volumes (dx revisited plane by plane).
  const K = colCols(g);
  const cin = g.inChannels;
  const { w: xsW, h: xsH, d: xsD, b: xsB } = inputStrides(g);
  const kStepW = cin;
  const kStepH = g.filterWidth * kStepW;
  const kStepD = g.filterHeight * kStepH;
  let n = 0;
  for (let s = slabStart; s < slabEnd; s++) {
    const od = s % g.outDepth;
    const b = (s - od) / g.outDepth;
    for (let oh = 0; oh < g.outHeight; oh++) {
      for (let ow = 0; ow < g.outWidth; ow++, n++) {
        const rowBase = n * K;
        for (let kd = 0; kd < g.filterDepth; kd++) {
          const id = od * g.strideDepth + kd * g.dilationDepth - g.padFront;
          if (id < 0 || id >= g.inDepth) continue;
          for (let kh = 0; kh < g.filterHeight; kh++) {
            const ih = oh * g.strideHeight + kh * g.dilationHeight - g.padTop;
            if (ih < 0 || ih >= g.inHeight) continue;
            const xBase = b * xsB + id * xsD + ih * xsH;
            const kBase = rowBase + kd * kStepD + kh * kStepH;
            for (let kw = 0; kw < g.filterWidth; kw++) {
              const iw = ow * g.strideWidth + kw * g.dilationWidth - g.padLeft;
              if (iw < 0 || iw >= g.inWidth) continue;
              const xo = xBase + iw * xsW;
              const ko = kBase + kw * kStepW;
              for (let ci = 0; ci < cin; ci++) dx[xo + ci] = (dx[xo + ci] as number) + (dCols[ko + ci] as number);
            }
          }
        }
      }
    }
  }
}

/**
 * Writes the im2col matrix `[N, K]` of `x` (NDHWC) for slabs `[slabStart, slabEnd)` into `out`:
 * one row per output position, the filter taps' input channels copied contiguously, 0 in the
 * padding. `out @ W[K, Cout]` is then the convolution's output rows.
 *
 * Output row by output row (slab, oh), then filter plane by plane (kd, kh): a position whose
 * filter row lies wholly inside the input (undilated width) copies its `FW·Cin` values as one
 * contiguous run, others tap by tap (~2× faster than tap by tap everywhere on 3D volumes).
 *
 * @example
 * im2col(xHeap, geometry, colsHeap); // then y2d = cols @ w2d
 */
export function im2col(x: Float32Array, g: ConvGeometry, out: Float32Array, slabStart = 0, slabEnd = g.batch * g.outDepth): void {
  const K = colCols(g);
  const cin = g.inChannels;
  const { w: xsW, h: xsH, d: xsD, b: xsB } = inputStrides(g);
  const FW = g.filterWidth;
  const runW = FW * cin;
  const dilW = g.dilationWidth;
  const stepW = g.strideWidth;
  const OW = g.outWidth;
  const inW = g.inWidth;
  for (let s = slabStart; s < slabEnd; s++) {
    const od = s % g.outDepth;
    const b = (s - od) / g.outDepth;
    for (let oh = 0; oh < g.outHeight; oh++) {
      const rowBase = ((s - slabStart) * g.outHeight + oh) * OW * K;
      for (let kd = 0; kd < g.filterDepth; kd++) {
        const id = od * g.strideDepth + kd * g.dilationDepth - g.padFront;
        const dOk = id >= 0 && id < g.inDepth;
        for (let kh = 0; kh < g.filterHeight; kh++) {
          const ih = oh * g.strideHeight + kh * g.dilationHeight - g.padTop;
          const kBase = rowBase + (kd * g.filterHeight + kh) * runW;
          if (!dOk || ih < 0 || ih >= g.inHeight) {
            for (let ow = 0; ow < OW; ow++) {
              const ko = kBase + ow * K;
              for (let t = 0; t < runW; t++) out[ko + t] = 0;
            }
            continue;
          }
          const xBase = b * xsB + id * xsD + ih * xsH;
          for (let ow = 0; ow < OW; ow++) {
            const iw0 = ow * stepW - g.padLeft;
            const ko = kBase + ow * K;
            if (dilW === 1 && iw0 >= 0 && iw0 + FW <= inW) {
              const xo = xBase + iw0 * xsW;
              for (let t = 0; t < runW; t++) out[ko + t] = x[xo + t] as number;
              continue;
            }
            for (let kw = 0; kw < FW; kw++) {
              const iw = iw0 + kw * dilW;
              const kk = ko + kw * cin;
              if (iw < 0 || iw >= inW) {
                for (let ci = 0; ci < cin; ci++) out[kk + ci] = 0;
              } else {
                const xo = xBase + iw * xsW;
                for (let ci = 0; ci < cin; ci++) out[kk + ci] = x[xo + ci] as number;
              }
            }
          }
        }
      }
    }
  }
}
