/**
 * `ResizeNearestNeighborGrad` for the wasm backend (the gradient of `upSampling2d` /
 * `tf.image.resizeNearestNeighbor`): adds each output gradient to the input pixel the forward
 * pass copied it from, with the forward pass's own source mapping (`alignCorners`,
 * `halfPixelCenters`). Replaces the backend's own kernel, whose results are wrong (relative
 * error ~0.6 against the pure-JS backend for a plain 2× upsampling).
 */
import { ResizeNearestNeighborGrad, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { requireFloat32 } from './require-float32.js';
import { allocF32, heapF32 } from './wasm-heap.js';

interface Attrs {
  readonly alignCorners: boolean;
  readonly halfPixelCenters?: boolean;
}

/** Source index of output index `o` along one axis, as the forward kernel computes it. */
function sourceIndex(o: number, inSize: number, outSize: number, alignCorners: boolean, halfPixel: boolean): number {
  const effIn = alignCorners && outSize > 1 ? inSize - 1 : inSize;
  const effOut = alignCorners && outSize > 1 ? outSize - 1 : outSize;
  const ratio = effIn / effOut;
  const frac = halfPixel ? ratio * (o + 0.5) : ratio * o;
  const nearest = Math.min(inSize - 1, alignCorners ? Math.round(frac) : Math.floor(frac));
  return halfPixel ? Math.max(0, nearest) : nearest;
}

function resizeNearestNeighborGradWasm(args: { inputs: { images: TensorInfo; dy: TensorInfo }; backend: BackendWasm; attrs: Attrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  requireFloat32(ResizeNearestNeighborGrad, { dy: inputs.dy });
  const [batch = 0, inH = 0, inW = 0, C = 0] = inputs.images.shape;
  const [, outH = 0, outW = 0] = inputs.dy.shape;
  const halfPixel = attrs.halfPixelCenters === true;
  const rows = Int32Array.from({ length: outH }, (_, r) => sourceIndex(r, inH, outH, attrs.alignCorners, halfPixel));
  const cols = Int32Array.from({ length: outW }, (_, c) => sourceIndex(c, inW, outW, attrs.alignCorners, halfPixel));
  const dxInfo = allocF32(backend, inputs.images.shape);
  const dy = heapF32(backend, inputs.dy);
  const dx = heapF32(backend, dxInfo);
  dx.fill(0);
  let o = 0;
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < outH; r++) {
      const rowBase = (b * inH + (rows[r] as number)) * inW;
      for (let c = 0; c < outW; c++, o += C) {
        const at = (rowBase + (cols[c] as number)) * C;
        for (let ch = 0; ch < C; ch++) dx[at + ch] = (dx[at + ch] as number) + (dy[o + ch] as number);
      }
    }
  }
  return dxInfo;
}

/**
 * Kernel config registered by `registerFuseflowKernels()`.
 *
 * @example
 * tf.registerKernel(resizeNearestNeighborGradConfig);
 */
export const resizeNearestNeighborGradConfig: KernelConfig = {
  kernelName: ResizeNearestNeighborGrad,
  backendName: 'wasm',
  kernelFunc: resizeNearestNeighborGradWasm as unknown as KernelFunc,
};
