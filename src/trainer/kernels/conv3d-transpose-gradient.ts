/**
 * Gradient of `Conv3DBackpropInputV2` (the kernel behind `tf.conv3dTranspose`), which tfjs 4.22
 * lacks on every backend, so a 3D U-Net with transposed-convolution upsampling cannot train.
 * A transposed convolution is the adjoint of a convolution, so its gradient with respect to its
 * input is the convolution of the upstream gradient, and with respect to its filter it is the
 * convolution's filter gradient with the roles of input and output swapped.
 */
import { conv3d, Conv3DBackpropFilterV2, Conv3DBackpropInputV2, engine, type GradConfig, type Tensor, type Tensor5D } from '@tensorflow/tfjs';

/**
 * Gradient config registered (for all backends) by `registerFuseflowKernels()` when tfjs has none.
 *
 * @example
 * tf.registerGradient(conv3dTransposeGradConfig);
 */
export const conv3dTransposeGradConfig: GradConfig = {
  kernelName: Conv3DBackpropInputV2,
  inputsToSave: ['dy', 'filter'],
  gradFunc: (ddx: Tensor | Tensor[], saved: Tensor[], attrs) => {
    const [dy, filter] = saved as [Tensor5D, Tensor5D];
    const upstream = ddx as Tensor5D;
    const strides = attrs['strides'] as [number, number, number];
    const pad = attrs['pad'] as 'same' | 'valid';
    return {
      dy: () => conv3d(upstream, filter, strides, pad),
      filter: () => engine().runKernel<Tensor5D>(Conv3DBackpropFilterV2, { x: upstream, dy }, { strides, pad, filterShape: filter.shape }),
    };
  },
};
