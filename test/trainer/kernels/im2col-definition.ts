/**
 * The im2col matrix by its definition, element by element, for checking the kernels that build it
 * (im2col.test.ts, simd-kernels.test.ts): row `n` one output position of slabs `[slabStart,
 * slabEnd)`, column `k` one filter tap and input channel, 0 where the tap reads padding.
 */
import { colCols, type ConvGeometry } from '../../../src/trainer/kernels/conv-geometry.js';

/** The im2col matrix `[N, K]` of `x` (NDHWC) for slabs `[slabStart, slabEnd)`. */
export function im2colByDefinition(x: Float32Array, g: ConvGeometry, slabStart: number, slabEnd: number): Float32Array {
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

/** The transposed im2col matrix `[K, N]`: {@link im2colByDefinition} transposed. */
export function im2colTransposedByDefinition(x: Float32Array, g: ConvGeometry, slabStart: number, slabEnd: number): Float32Array {
  const cols = im2colByDefinition(x, g, slabStart, slabEnd);
  const K = colCols(g);
  const N = cols.length / K;
  const out = new Float32Array(cols.length);
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) out[k * N + n] = cols[n * K + k] as number;
  return out;
}
