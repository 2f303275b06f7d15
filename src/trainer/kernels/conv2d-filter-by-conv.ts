/**
 * The filter gradient of a 2D convolution as a forward convolution, run by the wasm backend's
 * own XNNPACK `Conv2D`: with the batch and channel axes swapped, `dW` is the correlation of the
 * input (`[Cin, H, W, B]`: Cin images of B channels) with the output gradient as the filter
 * (`[OH, OW, B, Cout]`), the forward stride becoming the dilation and the forward dilation the
 * stride. Same multiply-adds as the im2col route without writing its `[K, N]` matrix: ~1.25×
 * faster on the fixed CNN's second convolution (Cin 32), no faster on its first (Cin 1), so
 * {@link conv2dFilterGradByConv} is used from {@link CONV_ROUTE_MIN_CHANNELS} input channels.
 */
import { getKernel, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { ConvGeometry } from './conv-geometry.js';
import { release, transposeOnBackend, withShape } from './wasm-heap.js';

/** Input channels from which the convolution route is taken (measured: faster at 32, not at 1). */
export const CONV_ROUTE_MIN_CHANNELS = 8;

/**
 * `dW` (HWIO, `filterShape`) of the 2D convolution `g` from its NHWC input `x` and output
 * gradient `dy`; undefined when the route does not apply (3D, fewer than
 * {@link CONV_ROUTE_MIN_CHANNELS} input channels, or input rows/columns that no output reads,
 * which would need negative padding), for the caller to take the im2col route.
 *
 * @example
 * const dw = conv2dFilterGradByConv(backend, x, dy, geometry) ?? convBackpropFilter(...);
 */
export function conv2dFilterGradByConv(backend: BackendWasm, x: TensorInfo, dy: TensorInfo, g: ConvGeometry): TensorInfo | undefined {
  if (g.inDepth !== 1 || g.filterDepth !== 1 || g.inChannels < CONV_ROUTE_MIN_CHANNELS) return undefined;
  // Rows: output kh reads input rows kh·dilation + oh·stride − padTop for oh < OH.
  const padBottom = (g.filterHeight - 1) * g.dilationHeight + (g.outHeight - 1) * g.strideHeight + 1 - g.inHeight - g.padTop;
  const padRight = (g.filterWidth - 1) * g.dilationWidth + (g.outWidth - 1) * g.strideWidth + 1 - g.inWidth - g.padLeft;
  const conv2d = getKernel('Conv2D', 'wasm');
  if (padBottom < 0 || padRight < 0 || g.padTop < 0 || g.padLeft < 0 || conv2d === undefined) return undefined;
  const xT = transposeOnBackend(backend, withShape(x, [g.batch, g.inHeight, g.inWidth, g.inChannels]), [3, 1, 2, 0]);
  const dyT = transposeOnBackend(backend, withShape(dy, [g.batch, g.outHeight, g.outWidth, g.outChannels]), [1, 2, 0, 3]);
  const out = conv2d.kernelFunc({
    inputs: { x: xT, filter: dyT },
    backend,
    attrs: {
      strides: [g.dilationHeight, g.dilationWidth],
      pad: [
        [0, 0],
        [g.padTop, padBottom],
        [g.padLeft, padRight],
        [0, 0],
      ],
      dilations: [g.strideHeight, g.strideWidth],
      dataFormat: 'NHWC',
    },
  }) as TensorInfo; // [Cin, FH, FW, Cout]
  release(backend, dyT); // also frees XNNPACK's operator cached under this filter
  release(backend, xT);
  const dw = transposeOnBackend(backend, out, [1, 2, 0, 3]);
  release(backend, out);
  return dw;
}
