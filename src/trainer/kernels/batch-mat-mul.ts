/**
 * `BatchMatMul` for the wasm backend with fast transposes. The backend runs `a @ b` through
 * XNNPACK only when neither operand is transposed and the batch is 1; any `transposeA` /
 * `transposeB` falls to a scalar loop about ten times slower, and every dense layer's gradient
 * asks for one. This kernel transposes the operand into a scratch buffer (with the backend's own
 * C++ transpose) and takes the fast path; batched products go to the backend's own kernel unchanged.
 */
import { BatchMatMul, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { requireFloat32 } from './require-float32.js';
import { matMulNN, release, transposeOnBackend, withShape } from './wasm-heap.js';

interface Attrs {
  readonly transposeA: boolean;
  readonly transposeB: boolean;
}

function product(dims: readonly number[]): number {
  return dims.reduce((p, d) => p * d, 1);
}

/** `[rows, cols]` as stored, and a scratch `[cols, rows]` copy when `transpose` is set. */
function asPlain(backend: BackendWasm, t: TensorInfo, transpose: boolean): { readonly info: TensorInfo; readonly scratch: boolean } {
  const r = t.shape.length;
  const rows = t.shape[r - 2] as number;
  const cols = t.shape[r - 1] as number;
  if (!transpose) return { info: withShape(t, [rows, cols]), scratch: false };
  return { info: transposeOnBackend(backend, withShape(t, [rows, cols]), [1, 0]), scratch: true };
}

/** Builds the kernel around the backend's own BatchMatMul, used for batched products. */
export function batchMatMulWasm(stock: KernelFunc): KernelFunc {
  const kernel = (args: { inputs: { a: TensorInfo; b: TensorInfo }; backend: BackendWasm; attrs: Attrs }): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const { a, b } = inputs;
    const batched = product(a.shape.slice(0, -2)) !== 1 || product(b.shape.slice(0, -2)) !== 1;
    if (batched || (!attrs.transposeA && !attrs.transposeB) || a.dtype !== 'float32' || b.dtype !== 'float32') {
      return stock(args as unknown as Parameters<KernelFunc>[0]) as TensorInfo;
    }
    requireFloat32(BatchMatMul, inputs);
    const pa = asPlain(backend, a, attrs.transposeA);
    const pb = asPlain(backend, b, attrs.transposeB);
    if (pa.info.shape[1] !== pb.info.shape[0]) {
      if (pa.scratch) release(backend, pa.info);
      if (pb.scratch) release(backend, pb.info);
      return stock(args as unknown as Parameters<KernelFunc>[0]) as TensorInfo;
    }
    const out = matMulNN(backend, pa.info, pb.info);
    if (pa.scratch) release(backend, pa.info);
    if (pb.scratch) release(backend, pb.info);
    const outer = a.shape.length >= b.shape.length ? a.shape.slice(0, -2) : b.shape.slice(0, -2);
    return withShape(out, [...outer, out.shape[0] as number, out.shape[1] as number]);
  };
  return kernel as unknown as KernelFunc;
}

/**
 * Kernel config around the backend's own BatchMatMul config (keeps its setup function).
 *
 * @example
 * tf.registerKernel(batchMatMulConfig(tf.getKernel('BatchMatMul', 'wasm')!));
 */
export function batchMatMulConfig(stock: KernelConfig): KernelConfig {
  return { ...stock, kernelName: BatchMatMul, backendName: 'wasm', kernelFunc: batchMatMulWasm(stock.kernelFunc) };
}
