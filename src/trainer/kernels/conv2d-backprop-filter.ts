/**
 * `Conv2DBackpropFilter` for the wasm backend, which has none: the filter gradient of a 2D
 * convolution (NHWC input, HWIO filter) for any stride, padding ('valid', 'same', a number or
 * explicit) and dilation: as im2col + matrix multiply, the im2col matrix gathered and the
 * product taken in WebAssembly SIMD (im2col-simd.ts, simd-kernels.ts `productTN`; XNNPACK's
 * product where the output channels are not a multiple of 16); where that module cannot run,
 * from 8 input channels as the backend's XNNPACK convolution of the input with the output
 * gradient (batch and channel axes swapped), which beats the JavaScript im2col but not the
 * WebAssembly route (fixed CNN's second convolution at batch 64: ~16 ms vs ~11 ms CPU).
 */
import { Conv2DBackpropFilter, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { conv2dGeometry, type ConvPad, type DimRoundingMode } from './conv-geometry.js';
import { convBackpropFilter } from './conv-backprop.js';
import { conv2dFilterGradByConv } from './conv2d-filter-by-conv.js';
import { requireFloat32 } from './require-float32.js';
import { simdKernels } from './simd-kernels.js';

interface Attrs {
  readonly strides: number | [number, number];
  readonly pad: ConvPad;
  readonly dataFormat?: 'NHWC' | 'NCHW';
  readonly dimRoundingMode?: DimRoundingMode;
  readonly filterShape: [number, number, number, number];
  /** Not passed by tfjs 4.22 (its conv gradients need dilation 1); honoured when present. */
  readonly dilations?: number | [number, number];
}

function conv2dBackpropFilterWasm(args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: BackendWasm; attrs: Attrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  requireFloat32(Conv2DBackpropFilter, inputs);
  const g = conv2dGeometry(inputs.x.shape, attrs.filterShape, attrs.strides, attrs.pad, attrs.dilations ?? 1, attrs.dimRoundingMode, attrs.dataFormat ?? 'NHWC');
  const byConv = simdKernels(backend) === undefined ? conv2dFilterGradByConv(backend, inputs.x, inputs.dy, g) : undefined;
  return byConv ?? convBackpropFilter(backend, inputs.x, inputs.dy, g, attrs.filterShape);
}

/**
 * Kernel config registered by `registerFuseflowKernels()`.
 *
 * @example
 * tf.registerKernel(conv2dBackpropFilterConfig);
 */
export const conv2dBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilterWasm as unknown as KernelFunc,
};
