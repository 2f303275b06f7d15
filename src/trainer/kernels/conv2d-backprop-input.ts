/**
 * `Conv2DBackpropInput` for the wasm backend: the input gradient of a 2D convolution (also the
 * forward pass of `conv2dTranspose`) for any stride, padding and dilation: for stride 1 as the
 * backend's XNNPACK convolution of `dy` with the rotated filter, otherwise as XNNPACK matrix
 * multiply + col2im. Replaces the backend's own kernel, which is correct but a direct loop about
 * ten times slower than the forward convolution.
 *
 * With the SIMD col2im (col2im-simd.ts) the matrix route also wins at stride 1 where the
 * convolution route wastes work ({@link preferMatrixRoute}): that one computes every input
 * position with every filter tap, padding `dy` with zeros, while the product covers only the
 * output positions (fixed CNN's second convolution, 'valid' 13 → 11: 11.2 vs 13.2 ms CPU at
 * batch 64; one input channel, 28 → 26: 6.7 vs 11.3 ms; 'same' stays on the convolution route:
 * 21.8 vs 13.5 ms).
 */
import { Conv2DBackpropInput, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { conv2dGeometry, type ConvGeometry, type ConvPad, type DimRoundingMode } from './conv-geometry.js';
import { convBackpropInput } from './conv-backprop.js';
import { conv2dInputGradByConv } from './conv2d-input-by-conv.js';
import { col2imSimdFits } from './col2im-simd.js';
import { requireFloat32 } from './require-float32.js';
import { simdKernels } from './simd-kernels.js';

interface Attrs {
  readonly strides: number | [number, number];
  readonly pad: ConvPad;
  readonly dataFormat?: 'NHWC' | 'NCHW';
  readonly dimRoundingMode?: DimRoundingMode;
  readonly inputShape: [number, number, number, number];
  /** Not passed by tfjs 4.22 (its conv gradients need dilation 1); honoured when present. */
  readonly dilations?: number | [number, number];
}

/**
 * True when the matrix route (product + SIMD col2im) beats the convolution route: with fewer
 * than 4 input channels (the convolution route's XNNPACK convolution then has that few output
 * channels), or when the input has 20% more positions than the output (the convolution route's
 * extra work on zeros outweighs col2im's ~15% on top of the product).
 *
 * @example
 * preferMatrixRoute(conv2dGeometry([64, 13, 13, 32], [3, 3, 32, 64], 1, 'valid', 1, undefined, 'NHWC')) // true
 */
export function preferMatrixRoute(g: ConvGeometry): boolean {
  return col2imSimdFits(g) && (g.inChannels < 4 || g.inHeight * g.inWidth > 1.2 * g.outHeight * g.outWidth);
}

function conv2dBackpropInputWasm(args: { inputs: { dy: TensorInfo; filter: TensorInfo }; backend: BackendWasm; attrs: Attrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  requireFloat32(Conv2DBackpropInput, inputs);
  const g = conv2dGeometry(attrs.inputShape, inputs.filter.shape, attrs.strides, attrs.pad, attrs.dilations ?? 1, attrs.dimRoundingMode, attrs.dataFormat ?? 'NHWC');
  const matrix = preferMatrixRoute(g) && simdKernels(backend) !== undefined;
  return (matrix ? undefined : conv2dInputGradByConv(backend, inputs.dy, inputs.filter, g)) ?? convBackpropInput(backend, inputs.dy, inputs.filter, g, attrs.inputShape);
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
