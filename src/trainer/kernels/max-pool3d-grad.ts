/**
 * `MaxPool3DGrad` for the wasm backend: routes each output gradient to the maximum of its
 * window, the last one on ties (the pure-JS backend's rule for 3D pools, scanning depth, row,
 * column). Replaces the backend's own kernel, whose results are wrong (relative error ~1 against
 * the pure-JS backend: its running maximum starts at the smallest positive float, not −∞).
 */
import { backend_util, MaxPool3DGrad, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { DimRoundingMode } from './conv-geometry.js';
import { requireFloat32 } from './require-float32.js';
import { allocF32, heapF32 } from './wasm-heap.js';

interface Attrs {
  readonly filterSize: number | [number, number, number];
  readonly strides: number | [number, number, number];
  readonly pad: 'valid' | 'same' | number;
  readonly dimRoundingMode?: DimRoundingMode;
}

function maxPool3dGradWasm(args: { inputs: { dy: TensorInfo; input: TensorInfo }; backend: BackendWasm; attrs: Attrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  requireFloat32(MaxPool3DGrad, { dy: inputs.dy, input: inputs.input });
  const info = backend_util.computePool3DInfo(inputs.input.shape as [number, number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const dxInfo = allocF32(backend, inputs.input.shape);
  const x = heapF32(backend, inputs.input);
  const dy = heapF32(backend, inputs.dy);
  const dx = heapF32(backend, dxInfo);
  dx.fill(0);
  const C = info.inChannels;
  const W = info.inWidth;
  const H = info.inHeight;
  const D = info.inDepth;
  // Per output position, scan the window tap by tap with channels innermost (contiguous reads),
  // keeping the running maximum and its index for every channel.
  const best = new Float32Array(C);
  const at = new Int32Array(C);
  let o = 0;
  for (let b = 0; b < info.batchSize; b++) {
    const xB = b * D * H * W * C;
    for (let yd = 0; yd < info.outDepth; yd++) {
      const d0 = yd * info.strideDepth - info.padInfo.front;
      const dLo = Math.max(0, d0);
      const dHi = Math.min(D, d0 + info.effectiveFilterDepth);
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
          for (let d = dLo; d < dHi; d++) {
            for (let r = rLo; r < rHi; r++) {
              for (let c = cLo; c < cHi; c++) {
                const base = xB + ((d * H + r) * W + c) * C;
                for (let ch = 0; ch < C; ch++) {
                  const v = x[base + ch] as number;
                  if (v >= (best[ch] as number)) {
                    best[ch] = v;
                    at[ch] = base + ch;
                  }
                }
              }
            }
          }
          for (let ch = 0; ch < C; ch++) {
            const i = at[ch] as number;
            if (i >= 0) dx[i] = (dx[i] as number) + (dy[o + ch] as number);
          }
        }
      }
    }
  }
  return dxInfo;
}

/**
 * Kernel config registered by `registerFuseflowKernels()`.
 *
 * @example
 * tf.registerKernel(maxPool3dGradConfig);
 */
export const maxPool3dGradConfig: KernelConfig = {
  kernelName: MaxPool3DGrad,
  backendName: 'wasm',
  kernelFunc: maxPool3dGradWasm as unknown as KernelFunc,
};
