/**
 * The two convolution gradients, 2D and 3D alike, as im2col/col2im around the wasm backend's
 * XNNPACK matrix multiply:
 *
 * - filter: `dW [K, Cout] = colsᵀ [K, N] @ dy [N, Cout]`, or, when the filter has fewer taps than
 *   output channels (K < Cout, e.g. a first layer on one channel), `dWᵀ [Cout, K] = dyᵀ @ cols`:
 *   XNNPACK packs its right operand on every call, and packing `[N, K]` instead of `[N, Cout]`
 *   is the cheaper (~1.5× faster on the fixed CNN's first convolution); with a multiple of 16
 *   output channels, `colsᵀ @ dy` in WebAssembly SIMD instead (simd-kernels.ts `productTN`),
 *   which packs nothing and transposes nothing
 * - input:  `dCols [N, K] = dy [N, Cout] @ Wᵀ [Cout, K]`, then col2im onto dx (in WebAssembly SIMD
 *   where it can, col2im-simd.ts: same bits, ~4× faster than the JavaScript loop).
 *
 * Work is split in chunks of (batch, output depth) slabs so that the im2col buffer never holds
 * more than {@link MAX_COL_FLOATS} floats (at least one slab).
 */
import type { TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { colCols, type ConvGeometry } from './conv-geometry.js';
import { col2imSimd, col2imSimdFits } from './col2im-simd.js';
import { col2im, im2colTransposed } from './im2col.js';
import { im2colTransposedSimd } from './im2col-simd.js';
import { byteOffset, simdKernels } from './simd-kernels.js';
import { allocF32, heapF32, matMulNN, release, transposeInto, transposeOnBackend, withShape } from './wasm-heap.js';

/** Bound on one im2col buffer: 2^24 floats (64 MiB); larger convolutions run in chunks. */
export const MAX_COL_FLOATS = 1 << 24;

function slabsPerChunk(g: ConvGeometry, maxColFloats: number): number {
  const floatsPerSlab = g.outHeight * g.outWidth * colCols(g);
  return Math.max(1, Math.floor(maxColFloats / Math.max(1, floatsPerSlab)));
}

/** Copies rows `[r0, r1)` of the `[rows, cols]` matrix `src` into a new heap buffer. */
function copyRows(backend: BackendWasm, src: TensorInfo, cols: number, r0: number, r1: number): TensorInfo {
  const out = allocF32(backend, [r1 - r0, cols]);
  heapF32(backend, out).set(heapF32(backend, src).subarray(r0 * cols, r1 * cols));
  return out;
}

/** `im2colTransposed` of `x` into `out` (both on the heap), in WebAssembly where it can. */
function colsTransposed(backend: BackendWasm, x: TensorInfo, g: ConvGeometry, out: TensorInfo, slabStart?: number, slabEnd?: number): void {
  const simd = simdKernels(backend);
  if (simd !== undefined) im2colTransposedSimd(simd, heapF32(backend, x), g, heapF32(backend, out), slabStart, slabEnd);
  else im2colTransposed(heapF32(backend, x), g, heapF32(backend, out), slabStart, slabEnd);
}

/**
 * Gradient of a convolution with respect to its filter: `x` is the NDHWC (or NHWC) input, `dy`
 * the gradient of the output; returns a new buffer of shape `filterShape`. `maxColFloats` bounds
 * the im2col buffer (default {@link MAX_COL_FLOATS}).
 */
export function convBackpropFilter(
  backend: BackendWasm,
  x: TensorInfo,
  dy: TensorInfo,
  g: ConvGeometry,
  filterShape: readonly number[],
  maxColFloats: number = MAX_COL_FLOATS,
): TensorInfo {
  const K = colCols(g);
  const cout = g.outChannels;
  const slabs = g.batch * g.outDepth;
  const rowsPerSlab = g.outHeight * g.outWidth;
  const chunk = slabsPerChunk(g, maxColFloats);
  const dy2d = withShape(dy, [slabs * rowsPerSlab, cout]);
  const simd = simdKernels(backend);
  if (chunk >= slabs && simd !== undefined && cout % 16 === 0) {
    // dW = colsᵀ @ dy in WebAssembly: no packing of dy, no transposes (fixed CNN at batch 64:
    // first convolution 5.9 → 1.3 ms, second 11.4 → 9.6 ms for the product alone)
    const colsT = allocF32(backend, [K, slabs * rowsPerSlab]);
    colsTransposed(backend, x, g, colsT);
    const dw = allocF32(backend, filterShape);
    simd.productTN(byteOffset(backend, colsT), slabs * rowsPerSlab, K, slabs * rowsPerSlab * 4, byteOffset(backend, dy), cout, byteOffset(backend, dw));
    release(backend, colsT);
    return dw;
  }
  if (chunk >= slabs && K < cout) {
    // (the transposed im2col plus the backend's transpose beat a direct im2col with few channels)
    const colsT = allocF32(backend, [K, slabs * rowsPerSlab]);
    colsTransposed(backend, x, g, colsT);
    const cols = transposeOnBackend(backend, colsT, [1, 0]);
    release(backend, colsT);
    const dyT = transposeOnBackend(backend, dy2d, [1, 0]);
    const dwT = matMulNN(backend, dyT, cols);
    release(backend, dyT);
    release(backend, cols);
    const dw = transposeOnBackend(backend, dwT, [1, 0]);
    release(backend, dwT);
    return withShape(dw, filterShape);
  }
  if (chunk >= slabs) {
    const cols = allocF32(backend, [K, slabs * rowsPerSlab]);
    colsTransposed(backend, x, g, cols);
    const dw = matMulNN(backend, cols, dy2d);
    release(backend, cols);
    return withShape(dw, filterShape);
  }
  const acc = new Float32Array(K * cout);
  for (let s0 = 0; s0 < slabs; s0 += chunk) {
    const s1 = Math.min(slabs, s0 + chunk);
    const cols = allocF32(backend, [K, (s1 - s0) * rowsPerSlab]);
    const dyPart = copyRows(backend, dy2d, cout, s0 * rowsPerSlab, s1 * rowsPerSlab);
    colsTransposed(backend, x, g, cols, s0, s1);
    const part = matMulNN(backend, cols, dyPart);
    const pv = heapF32(backend, part);
    for (let i = 0; i < acc.length; i++) acc[i] = (acc[i] as number) + (pv[i] as number);
    release(backend, part);
    release(backend, dyPart);
    release(backend, cols);
  }
  const dw = allocF32(backend, filterShape);
  heapF32(backend, dw).set(acc);
  return dw;
}

/**
 * `a [M, C] @ b [C, K]`, a new buffer: with the SIMD kernels and `K` a multiple of 16 as
 * `productTN` (no packing; fixed CNN's second convolution, `[7744, 64] @ [64, 288]`: 8.8 vs
 * 10.4 ms for XNNPACK), otherwise XNNPACK's product.
 */
function product(backend: BackendWasm, a: TensorInfo, b: TensorInfo): TensorInfo {
  const simd = simdKernels(backend);
  const [m, c] = a.shape as [number, number];
  const k = b.shape[1] as number;
  if (simd === undefined || k % 16 !== 0 || m * c === 0) return matMulNN(backend, a, b);
  const out = allocF32(backend, [m, k]);
  simd.productTN(byteOffset(backend, a), c, m, c * 4, byteOffset(backend, b), k, byteOffset(backend, out));
  return out;
}

/**
 * Gradient of a convolution with respect to its input: `dy` is the gradient of the output,
 * `filter` the DHWIO (or HWIO) filter; returns a new buffer of shape `inShape`. `maxColFloats`
 * bounds the im2col-shaped gradient buffer (default {@link MAX_COL_FLOATS}).
 */
export function convBackpropInput(
  backend: BackendWasm,
  dy: TensorInfo,
  filter: TensorInfo,
  g: ConvGeometry,
  inShape: readonly number[],
  maxColFloats: number = MAX_COL_FLOATS,
): TensorInfo {
  const K = colCols(g);
  const cout = g.outChannels;
  const slabs = g.batch * g.outDepth;
  const rowsPerSlab = g.outHeight * g.outWidth;
  const chunk = slabsPerChunk(g, maxColFloats);
  const wT = allocF32(backend, [cout, K]);
  transposeInto(heapF32(backend, filter), K, cout, heapF32(backend, wT));
  const dx = allocF32(backend, inShape);
  heapF32(backend, dx).fill(0);
  const dy2d = withShape(dy, [slabs * rowsPerSlab, cout]);
  const simd = col2imSimdFits(g) ? simdKernels(backend) : undefined;
  for (let s0 = 0; s0 < slabs; s0 += chunk) {
    const s1 = Math.min(slabs, s0 + chunk);
    const whole = s0 === 0 && s1 === slabs;
    const dyPart = whole ? dy2d : copyRows(backend, dy2d, cout, s0 * rowsPerSlab, s1 * rowsPerSlab);
    const dCols = product(backend, dyPart, wT);
    if (simd !== undefined) col2imSimd(simd, byteOffset(backend, dCols), g, byteOffset(backend, dx), s0, s1);
    else col2im(heapF32(backend, dCols), g, heapF32(backend, dx), s0, s1);
    release(backend, dCols);
    if (!whole) release(backend, dyPart);
  }
  release(backend, wT);
  return dx;
}
