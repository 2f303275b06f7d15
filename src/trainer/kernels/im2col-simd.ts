/**
 * The transposed im2col matrix (see `im2colTransposed` in im2col.ts) through the WebAssembly
 * `gather3` kernel: each row (one filter tap and input channel) is gathered from the input at a
 * fixed stride, batch by batch, output row by output row, in one call per row for 2D
 * convolutions (per slab for 3D). Copies only, so the same matrix as the JavaScript loop, which
 * it beats several times over (~1.4 ns per element for the loop on the reference machine).
 */
import type { ConvGeometry } from './conv-geometry.js';
import { filterTaps, inputStrides } from './conv-taps.js';
import type { SimdKernels } from './simd-kernels.js';

/**
 * Writes the transposed im2col matrix `[K, N]` of `x` (a view of the backend's heap, NDHWC) for
 * slabs `[slabStart, slabEnd)` into `out` (a view of the backend's heap, length K·N).
 *
 * @example
 * im2colTransposedSimd(simd, heapF32(backend, x), geometry, heapF32(backend, colsT));
 */
export function im2colTransposedSimd(simd: SimdKernels, x: Float32Array, g: ConvGeometry, out: Float32Array, slabStart = 0, slabEnd = g.batch * g.outDepth): void {
  const F = 4;
  const N = (slabEnd - slabStart) * g.outHeight * g.outWidth;
  const cin = g.inChannels;
  const { w: xsW, h: xsH, d: xsD, b: xsB } = inputStrides(g, F);
  const outHW = g.outHeight * g.outWidth;
  const flat = g.outDepth === 1; // one slab per batch image: batches in one call
  let k = 0;
  for (const { offD, odLo, odHi, offH, ohLo, ohHi, offW, owLo, owHi } of filterTaps(g)) {
    const full = odLo === 0 && odHi === g.outDepth && ohLo === 0 && ohHi === g.outHeight && owLo === 0 && owHi === g.outWidth;
    const inner = ohHi > ohLo && owHi > owLo;
    const tapAt = (ohLo * g.strideHeight + offH) * xsH + (owLo * g.strideWidth + offW) * xsW;
    for (let ci = 0; ci < cin; ci++, k++) {
      if (!full) out.fill(0, k * N, (k + 1) * N);
      if (!inner) continue;
      const rowAt = out.byteOffset + (k * N + ohLo * g.outWidth + owLo) * F;
      const srcAt = x.byteOffset + tapAt + ci * F;
      const gather = (dst: number, src: number, n0: number): void =>
        simd.gather3(dst, src, n0, outHW * F, xsB, ohHi - ohLo, g.outWidth * F, g.strideHeight * xsH, owHi - owLo, g.strideWidth * xsW);
      if (flat) {
        if (odLo === 0 && odHi === 1) gather(rowAt, srcAt + slabStart * xsB + offD * xsD, slabEnd - slabStart);
        continue;
      }
      for (let s = slabStart; s < slabEnd; s++) {
        const od = s % g.outDepth;
        if (od < odLo || od >= odHi) continue;
        const b = (s - od) / g.outDepth;
        gather(rowAt + (s - slabStart) * outHW * F, srcAt + b * xsB + (od * g.strideDepth + offD) * xsD, 1);
      }
    }
  }
}
