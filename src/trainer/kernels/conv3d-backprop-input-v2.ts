/**
 * `Conv3DBackpropInputV2` for the wasm backend: the input gradient of a 3D convolution (also the
 * forward pass of `conv3dTranspose`, a U-Net's upsampling) for any stride, padding and dilation,
 * as XNNPACK matrix multiply + col2im. Replaces the backend's own kernel, whose results are
 * wrong for strides > 1.
 */
import { Conv3DBackpropInputV2, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { conv3dGeometry } from './conv-geometry.js';
import { convBackpropInput } from './conv-backprop.js';
import { requireFloat32 } from './require-float32.js';

interface Attrs {
  readonly strides: number | [number, number, number];
  readonly pad: 'same' | 'valid' | number;
  readonly inputShape: [number, number, number, number, number];
  /** Not passed by tfjs 4.22 (its conv gradients need dilation 1); honoured when present. */
  readonly dilations?: number | [number, number, number];
}

function conv3dBackpropInputV2Wasm(args: { inputs: { dy: TensorInfo; filter: TensorInfo }; backend: BackendWasm; attrs: Attrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  requireFloat32(Conv3DBackpropInputV2, inputs);
  const g = conv3dGeometry(attrs.inputShape, inputs.filter.shape, attrs.strides, attrs.pad, attrs.dilations ?? 1);
  return convBackpropInput(backend, inputs.dy, inputs.filter, g, attrs.inputShape);
}

/**
 * Kernel config registered by `registerFuseflowKernels()`.
 *
 * @example
 * tf.registerKernel(conv3dBackpropInputV2Config);
 */
export const conv3dBackpropInputV2Config: KernelConfig = {
  kernelName: Conv3DBackpropInputV2,
  backendName: 'wasm',
  kernelFunc: conv3dBackpropInputV2Wasm as unknown as KernelFunc,
};
