/**
 * One description of a 2D or 3D convolution for the gradient kernels: a 2D convolution is a 3D
 * one with depth 1, so im2col/col2im and the kernels are written once.
 */
import { backend_util } from '@tensorflow/tfjs';
import { OptionsError } from '../../core/errors.js';

/** Shape, stride, dilation and padding of a channels-last (NHWC / NDHWC) convolution. */
export interface ConvGeometry {
  readonly batch: number;
  readonly inDepth: number;
  readonly inHeight: number;
  readonly inWidth: number;
  readonly inChannels: number;
  readonly outDepth: number;
  readonly outHeight: number;
  readonly outWidth: number;
  readonly outChannels: number;
  readonly filterDepth: number;
  readonly filterHeight: number;
  readonly filterWidth: number;
  readonly strideDepth: number;
  readonly strideHeight: number;
  readonly strideWidth: number;
  readonly dilationDepth: number;
  readonly dilationHeight: number;
  readonly dilationWidth: number;
  readonly padFront: number;
  readonly padTop: number;
  readonly padLeft: number;
}

/** Padding as tfjs kernels receive it: a mode, a number, or explicit `[[0,0],[t,b],[l,r],[0,0]]`. */
export type ConvPad = 'same' | 'valid' | number | backend_util.ExplicitPadding;

/** Rounding tfjs applies to output sizes when `pad` is a number. */
export type DimRoundingMode = 'floor' | 'round' | 'ceil';

/** Rows of the im2col matrix: one per output position (batch × output volume). */
export function colRows(g: ConvGeometry): number {
  return g.batch * g.outDepth * g.outHeight * g.outWidth;
}

/** Columns of the im2col matrix: filter volume × input channels. */
export function colCols(g: ConvGeometry): number {
  return g.filterDepth * g.filterHeight * g.filterWidth * g.inChannels;
}

function fromInfo3d(info: backend_util.Conv3DInfo): ConvGeometry {
  return {
    batch: info.batchSize,
    inDepth: info.inDepth,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outDepth: info.outDepth,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterDepth: info.filterDepth,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideDepth: info.strideDepth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    dilationDepth: info.dilationDepth,
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
    padFront: info.padInfo.front,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/**
 * Geometry of a 2D convolution of an NHWC input `inShape` with an HWIO filter `filterShape`.
 *
 * @throws OptionsError for the NCHW data format (the wasm backend's convolutions are NHWC only).
 */
export function conv2dGeometry(
  inShape: readonly number[],
  filterShape: readonly number[],
  strides: number | readonly [number, number],
  pad: ConvPad,
  dilations: number | readonly [number, number] = 1,
  dimRoundingMode?: DimRoundingMode,
  dataFormat: 'NHWC' | 'NCHW' = 'NHWC',
): ConvGeometry {
  if (dataFormat !== 'NHWC') {
    throw new OptionsError(`fuseflow conv gradient kernels take NHWC data only, got ${dataFormat}`);
  }
  const info = backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides as number | [number, number],
    dilations as number | [number, number],
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  return {
    batch: info.batchSize,
    inDepth: 1,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outDepth: 1,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterDepth: 1,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideDepth: 1,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    dilationDepth: 1,
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
    padFront: 0,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/**
 * Geometry of a 3D convolution of an NDHWC input `inShape` with a DHWIO filter `filterShape`.
 *
 * @throws OptionsError for the NCDHW data format.
 */
export function conv3dGeometry(
  inShape: readonly number[],
  filterShape: readonly number[],
  strides: number | readonly [number, number, number],
  pad: 'same' | 'valid' | number,
  dilations: number | readonly [number, number, number] = 1,
  dataFormat: 'NDHWC' | 'NCDHW' = 'NDHWC',
): ConvGeometry {
  if (dataFormat !== 'NDHWC') {
    throw new OptionsError(`fuseflow conv gradient kernels take NDHWC data only, got ${dataFormat}`);
  }
  return fromInfo3d(
    backend_util.computeConv3DInfo(
      inShape as [number, number, number, number, number],
      filterShape as [number, number, number, number, number],
      strides as number | [number, number, number],
      dilations as number | [number, number, number],
      pad,
    ),
  );
}
