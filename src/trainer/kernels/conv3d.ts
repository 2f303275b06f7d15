/**
 * `Conv3D` (forward) for the wasm backend as im2col + XNNPACK matrix multiply, for any stride,
 * padding and dilation. Replaces the backend's own kernel, which is correct but a direct loop:
 * it took ~60% of a 3D ResNet training step, several times the step's gradients.
 */
import { Conv3D, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { MAX_COL_FLOATS } from './conv-backprop.js';
import { colCols, conv3dGeometry } from './conv-geometry.js';
import { im2col } from './im2col.js';
import { requireFloat32 } from './require-float32.js';
import { allocF32, heapF32, matMulNN, release, withShape } from './wasm-heap.js';

interface Attrs {
  readonly strides: number | [number, number, number];
  readonly pad: 'same' | 'valid' | number;
  readonly dataFormat?: 'NDHWC' | 'NCDHW';
  readonly dilations?: number | [number, number, number];
}

/** `conv3d(x, filter)` on the wasm heap; the im2col buffer holds at most `maxColFloats` floats (≥ one slab). */
export function conv3dForward(backend: BackendWasm, x: TensorInfo, filter: TensorInfo, attrs: Attrs, maxColFloats: number = MAX_COL_FLOATS): TensorInfo {
  const g = conv3dGeometry(x.shape, filter.shape, attrs.strides, attrs.pad, attrs.dilations ?? 1, attrs.dataFormat ?? 'NDHWC');
  const K = colCols(g);
  const cout = g.outChannels;
  const rowsPerSlab = g.outHeight * g.outWidth;
  const slabs = g.batch * g.outDepth;
  const chunk = Math.max(1, Math.floor(maxColFloats / Math.max(1, rowsPerSlab * K)));
  const outShape = [g.batch, g.outDepth, g.outHeight, g.outWidth, cout];
  const w2d = withShape(filter, [K, cout]);
  if (chunk >= slabs) {
    const cols = allocF32(backend, [slabs * rowsPerSlab, K]);
    im2col(heapF32(backend, x), g, heapF32(backend, cols));
    const y = matMulNN(backend, cols, w2d);
    release(backend, cols);
    return withShape(y, outShape);
  }
  const y = allocF32(backend, outShape);
  for (let s0 = 0; s0 < slabs; s0 += chunk) {
    const s1 = Math.min(slabs, s0 + chunk);
    const cols = allocF32(backend, [(s1 - s0) * rowsPerSlab, K]);
    im2col(heapF32(backend, x), g, heapF32(backend, cols), s0, s1);
    const part = matMulNN(backend, cols, w2d);
    heapF32(backend, y).set(heapF32(backend, part), s0 * rowsPerSlab * cout);
    release(backend, part);
    release(backend, cols);
  }
  return y;
}

function conv3dWasm(args: { inputs: { x: TensorInfo; filter: TensorInfo }; backend: BackendWasm; attrs: Attrs }): TensorInfo {
  requireFloat32(Conv3D, args.inputs);
  return conv3dForward(args.backend, args.inputs.x, args.inputs.filter, args.attrs);
}

/**
 * Kernel config registered by `registerFuseflowKernels()`.
 *
 * @example
 * tf.registerKernel(conv3dConfig);
 */
export const conv3dConfig: KernelConfig = {
  kernelName: Conv3D,
  backendName: 'wasm',
  kernelFunc: conv3dWasm as unknown as KernelFunc,
};
