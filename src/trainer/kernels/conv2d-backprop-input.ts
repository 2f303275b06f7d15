/**
 * `Conv2DBackpropInput` for the wasm backend: the input gradient of a 2D convolution (also the
 * forward pass of `conv2dTranspose`) for any stride, padding and dilation: for stride 1 as the
 * backend's XNNPACK convolution of `dy` with the rotated filter, otherwise as XNNPACK matrix
 * multiply + col2im. Replaces the backend's own kernel, which is correct but a direct loop about
 * ten times slower than the forward convolution.
 */
import { Conv2DBackpropInput, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { conv2dGeometry, type ConvPad, type DimRoundingMode } from './conv-geometry.js';
import { convBackpropInput } from './conv-backprop.js';
import { conv2dInputGradByConv } from './conv2d-input-by-conv.js';
import { requireFloat32 } from './require-float32.js';

interface Attrs {
  readonly strides: number | [number, number];
  readonly pad: ConvPad;
  readonly dataFormat?: 'NHWC' | 'NCHW';
  readonly dimRoundingMode?: DimRoundingMode;
  readonly inputShape: [number, number, number, number];
  /** Not passed by tfjs 4.22 (its conv gradients need dilation 1); honoured when present. */
  readonly dilations?: number | [number, number];
}

function conv2dBackpropInputWasm(args: { inputs: { dy: TensorInfo; filter: TensorInfo }; backend: BackendWasm; attrs: Attrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  requireFloat32(Conv2DBackpropInput, inputs);
  const g = conv2dGeometry(attrs.inputShape, inputs.filter.shape, attrs.strides, attrs.pad, attrs.dilations ?? 1, attrs.dimRoundingMode, attrs.dataFormat ?? 'NHWC');
  return conv2dInputGradByConv(backend, inputs.dy, inputs.filter, g) ?? convBackpropInput(backend, inputs.dy, inputs.filter, g, attrs.inputShape);
}

/**
 * Kernel config registered by `registerFuseflowKernels()`.
 *
 * @example
 * tf.registerKernel(conv2dBackpropInputConfig);
 */
export const conv2dBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropInputWasm as unknown as KernelFunc,
};
