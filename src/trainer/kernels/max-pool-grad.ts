/**
 * `MaxPoolGrad` for the wasm backend: routes each output gradient to the first maximum of its
 * window (the pure-JS backend's rule). Replaces the backend's own kernel, whose results are
 * wrong (relative error ~1 against the pure-JS backend on a plain 2×2, stride-2 pool).
 *
 * tfjs hands the kernel the forward pass's output too; with it each window needs no running
 * maximum: the first tap equal to the pooled value is the one, and disjoint 2×2 windows are
 * resolved without data-dependent branches (~1.9× faster on the fixed CNN's first pool, whose
 * random maxima defeat branch prediction). Without the output the kernel scans for the running
 * maximum. 2×2 windows at stride 2 over a multiple of 4 channels run in WebAssembly SIMD
 * (simd-kernels.ts; same bits, ~3.5× faster on the fixed CNN's first pool: 3.6 → ~1.0 ms at
 * batch 64).
 */
import { backend_util, MaxPoolGrad, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { DimRoundingMode } from './conv-geometry.js';
import { requireFloat32 } from './require-float32.js';
import { byteOffset, simdKernels, type SimdKernels } from './simd-kernels.js';
import { allocF32, heapF32 } from './wasm-heap.js';

interface Attrs {
  readonly filterSize: number | [number, number];
  readonly strides: number | [number, number];
  readonly pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  readonly dimRoundingMode?: DimRoundingMode;
}

function maxPoolGradWasm(args: { inputs: { dy: TensorInfo; input: TensorInfo; output?: TensorInfo }; backend: BackendWasm; attrs: Attrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  requireFloat32(MaxPoolGrad, { dy: inputs.dy, input: inputs.input });
  const info = backend_util.computePool2DInfo(inputs.input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const dxInfo = allocF32(backend, inputs.input.shape);
  const x = heapF32(backend, inputs.input);
  const dy = heapF32(backend, inputs.dy);
  const dx = heapF32(backend, dxInfo);
  const C = info.inChannels;
  const W = info.inWidth;
  const H = info.inHeight;
  const pooled = inputs.output;
  if (pooled !== undefined && pooled.dtype === 'float32' && pooled.shape.every((d, i) => d === inputs.dy.shape[i])) {
    const simd = simdKernels(backend);
    if (simd !== undefined && fitsSimd2x2(info)) {
      if (2 * info.outHeight !== H || 2 * info.outWidth !== W) dx.fill(0); // (rows/columns no window reads)
      route2x2Simd(simd, backend, { x: inputs.input, y: pooled, dy: inputs.dy, dx: dxInfo }, info);
      return dxInfo;
    }
    dx.fill(0);
    routeToPooled(x, heapF32(backend, pooled), dy, dx, info);
    return dxInfo;
  }
  dx.fill(0);
  // Per output position, scan the window tap by tap with channels innermost (contiguous reads),
  // keeping the running maximum and its index for every channel.
  const best = new Float32Array(C);
  const at = new Int32Array(C);
  let o = 0;
  for (let b = 0; b < info.batchSize; b++) {
    const xB = b * H * W * C;
    for (let yr = 0; yr < info.outHeight; yr++) {
      const r0 = yr * info.strideHeight - info.padInfo.top;
      const rLo = Math.max(0, r0);
      const rHi = Math.min(H, r0 + info.effectiveFilterHeight);
      for (let yc = 0; yc < info.outWidth; yc++, o += C) {
        const c0 = yc * info.strideWidth - info.padInfo.left;
        const cLo = Math.max(0, c0);
        const cHi = Math.min(W, c0 + info.effectiveFilterWidth);
        best.fill(Number.NEGATIVE_INFINITY);
        at.fill(-1);
        for (let r = rLo; r < rHi; r++) {
          for (let c = cLo; c < cHi; c++) {
            const base = xB + (r * W + c) * C;
            for (let d = 0; d < C; d++) {
              const v = x[base + d] as number;
              if (v > (best[d] as number)) {
                best[d] = v;
                at[d] = base + d;
              }
            }
          }
        }
        for (let d = 0; d < C; d++) {
          const i = at[d] as number;
          if (i >= 0) dx[i] = (dx[i] as number) + (dy[o + d] as number);
        }
      }
    }
  }
  return dxInfo;
}

/** True for 2×2 windows at stride 2 from the top-left corner (no padding) over a multiple of 4 channels. */
function fitsSimd2x2(info: backend_util.Conv2DInfo): boolean {
  return (
    info.effectiveFilterHeight === 2 &&
    info.effectiveFilterWidth === 2 &&
    info.strideHeight === 2 &&
    info.strideWidth === 2 &&
    info.padInfo.top === 0 &&
    info.padInfo.left === 0 &&
    2 * info.outHeight <= info.inHeight &&
    2 * info.outWidth <= info.inWidth &&
    info.inChannels % 4 === 0 &&
    info.batchSize * info.outHeight * info.outWidth > 0
  );
}

/** {@link routeToPooled}'s 2×2 case in WebAssembly SIMD (same bits); writes every tap a window reads. */
function route2x2Simd(
  simd: SimdKernels,
  backend: BackendWasm,
  t: { readonly x: TensorInfo; readonly y: TensorInfo; readonly dy: TensorInfo; readonly dx: TensorInfo },
  info: backend_util.Conv2DInfo,
): void {
  const at = (i: TensorInfo): number => byteOffset(backend, i);
  simd.maxPool2x2Grad(at(t.x), at(t.y), at(t.dy), at(t.dx), info.batchSize, info.outHeight, info.outWidth, info.inHeight, info.inWidth, info.inChannels);
}

/**
 * Adds each `dy` to the first tap (row-major within the window) whose input equals the pooled
 * value `y` of its window and channel; `dx` is zeroed by the caller. A window whose pooled value
 * matches no tap (NaN) passes no gradient, as the running-maximum rule would.
 */
function routeToPooled(x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array, info: backend_util.Conv2DInfo): void {
  const C = info.inChannels;
  const W = info.inWidth;
  const H = info.inHeight;
  const rowStride = W * C;
  const disjoint = info.strideHeight >= info.effectiveFilterHeight && info.strideWidth >= info.effectiveFilterWidth;
  const taps = new Int32Array(info.effectiveFilterHeight * info.effectiveFilterWidth);
  let o = 0;
  for (let b = 0; b < info.batchSize; b++) {
    const xB = b * H * rowStride;
    for (let yr = 0; yr < info.outHeight; yr++) {
      const r0 = yr * info.strideHeight - info.padInfo.top;
      const rLo = Math.max(0, r0);
      const rHi = Math.min(H, r0 + info.effectiveFilterHeight);
      for (let yc = 0; yc < info.outWidth; yc++, o += C) {
        const c0 = yc * info.strideWidth - info.padInfo.left;
        const cLo = Math.max(0, c0);
        const cHi = Math.min(W, c0 + info.effectiveFilterWidth);
        // The window's taps (row-major), as offsets of channel 0.
        let nt = 0;
        for (let r = rLo; r < rHi; r++) {
          for (let c = cLo; c < cHi; c++) taps[nt++] = xB + r * rowStride + c * C;
        }
        if (nt === 4 && disjoint) {
          // The common 2×2 pool with disjoint windows, unrolled and branch-free: each tap gets
          // its window's gradient or 0 (so a NaN gradient reaches all four taps).
          const t0 = taps[0] as number;
          const t1 = taps[1] as number;
          const t2 = taps[2] as number;
          const t3 = taps[3] as number;
          for (let d = 0; d < C; d++) {
            const m = y[o + d] as number;
            const g = dy[o + d] as number;
            const e0 = +(x[t0 + d] === m) | 0;
            const e1 = +(x[t1 + d] === m) & ~e0 & 1;
            const e01 = e0 | e1;
            const e2 = +(x[t2 + d] === m) & ~e01 & 1;
            const e3 = +(x[t3 + d] === m) & ~(e01 | e2) & 1;
            dx[t0 + d] = e0 * g;
            dx[t1 + d] = e1 * g;
            dx[t2 + d] = e2 * g;
            dx[t3 + d] = e3 * g;
          }
          continue;
        }
        for (let d = 0; d < C; d++) {
          const m = y[o + d] as number;
          for (let t = 0; t < nt; t++) {
            const i = (taps[t] as number) + d;
            if (x[i] === m) {
              dx[i] = (dx[i] as number) + (dy[o + d] as number);
              break;
            }
          }
        }
      }
    }
  }
}

/**
 * Kernel config registered by `registerFuseflowKernels()`.
 *
 * @example
 * tf.registerKernel(maxPoolGradConfig);
 */
export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGradWasm as unknown as KernelFunc,
};
