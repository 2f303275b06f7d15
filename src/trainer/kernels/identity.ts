/**
 * `Identity` and same-dtype `Cast` for the wasm backend without a copy. tfjs clones every tensor
 * it saves for the backward pass (an `Identity` per saved activation) and every ReLU gradient
 * casts a float32 mask to float32; the backend's own kernels copy the bytes each time (~1.3 ms
 * a step on the fixed CNN). These return another reference to the same bytes, as the pure-JS
 * backend does; other casts and string tensors go to the backend's own kernels.
 */
import { Cast, Identity, type DataType, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { aliasOf } from './wasm-heap.js';

/** Builds the Identity kernel around the backend's own one (kept for string tensors). */
export function identityWasm(stock: KernelFunc): KernelFunc {
  const kernel = (args: { inputs: { x: TensorInfo }; backend: BackendWasm }): TensorInfo =>
    args.inputs.x.dtype === 'string' ? (stock(args) as TensorInfo) : aliasOf(args.backend, args.inputs.x);
  return kernel as unknown as KernelFunc;
}

/** Builds the Cast kernel around the backend's own one (used when the dtype changes). */
export function castWasm(stock: KernelFunc): KernelFunc {
  const kernel = (args: { inputs: { x: TensorInfo }; backend: BackendWasm; attrs: { dtype: DataType } }): TensorInfo =>
    args.inputs.x.dtype === args.attrs.dtype && args.attrs.dtype !== 'string' ? aliasOf(args.backend, args.inputs.x) : (stock(args) as TensorInfo);
  return kernel as unknown as KernelFunc;
}

/**
 * Kernel configs around the backend's own `Identity` and `Cast` configs.
 *
 * @example
 * tf.registerKernel(identityConfig(tf.getKernel('Identity', 'wasm')!));
 */
export function identityConfig(stock: KernelConfig): KernelConfig {
  return { ...stock, kernelName: Identity, backendName: 'wasm', kernelFunc: identityWasm(stock.kernelFunc) };
}

/** See {@link identityConfig}. */
export function castConfig(stock: KernelConfig): KernelConfig {
  return { ...stock, kernelName: Cast, backendName: 'wasm', kernelFunc: castWasm(stock.kernelFunc) };
}
