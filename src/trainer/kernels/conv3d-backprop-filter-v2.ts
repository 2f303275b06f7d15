/**
 * `Conv3DBackpropFilterV2` for the wasm backend: the filter gradient of a 3D convolution (NDHWC
 * input, DHWIO filter) for any stride, padding and dilation, as im2col + XNNPACK matrix multiply.
 * Replaces the backend's own kernel, whose results are wrong for 'same' padding and strides > 1.
 */
import { Conv3DBackpropFilterV2, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { conv3dGeometry } from './conv-geometry.js';
import { convBackpropFilter } from './conv-backprop.js';
import { requireFloat32 } from './require-float32.js';

interface Attrs {
  readonly strides: number | [number, number, number];
  readonly pad: 'same' | 'valid' | number;
  readonly filterShape: [number, number, number, number, number];
  /** Not passed by tfjs 4.22 (its conv gradients need dilation 1); honoured when present. */
  readonly dilations?: number | [number, number, number];
}

function conv3dBackpropFilterV2Wasm(args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: BackendWasm; attrs: Attrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  requireFloat32(Conv3DBackpropFilterV2, inputs);
  const g = conv3dGeometry(inputs.x.shape, attrs.filterShape, attrs.strides, attrs.pad, attrs.dilations ?? 1);
  return convBackpropFilter(backend, inputs.x, inputs.dy, g, attrs.filterShape);
}

/**
 * Kernel config registered by `registerFuseflowKernels()`.
 *
 * @example
 * tf.registerKernel(conv3dBackpropFilterV2Config);
 */
export const conv3dBackpropFilterV2Config: KernelConfig = {
  kernelName: Conv3DBackpropFilterV2,
  backendName: 'wasm',
  kernelFunc: conv3dBackpropFilterV2Wasm as unknown as KernelFunc,
};
