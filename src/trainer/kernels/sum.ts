/**
 * `Sum` for the wasm backend, fast for the reduction every bias gradient makes: a channels-last
 * activation summed over all its leading axes (`[B, H, W, C] → [C]`). The backend's own kernel
 * transposes the tensor first so the reduced axes are innermost; this one adds rows into
 * per-channel double accumulators in place (~2.5× faster on the fixed CNN's first conv, and more
 * accurate; with a multiple of 4 channels the same sums in WebAssembly SIMD, simd-kernels.ts,
 * another ~5× faster, same bits). Every other reduction goes to the backend's own kernel unchanged.
 */
import { Sum, util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { byteOffset, simdKernels } from './simd-kernels.js';
import { allocF32, heapF32, release } from './wasm-heap.js';

interface Attrs {
  readonly axis: number | number[];
  readonly keepDims: boolean;
}

/** True when `axes` (normalised for `rank`) are exactly `0 … rank−2`. */
function leadingAxes(axis: number | readonly number[], rank: number): boolean {
  if (rank < 2) return false;
  const axes = util.parseAxisParam(axis as number | number[], new Array<number>(rank).fill(1));
  const sorted = [...new Set(axes)].sort((a, b) => a - b);
  return sorted.length === rank - 1 && sorted.every((a, i) => a === i);
}

/**
 * Adds the `rows` rows of the row-major `[rows, cols]` matrix `m` into `out` (`cols` sums), four
 * rows at a time, accumulating in double precision.
 */
export function columnSums(m: Float32Array, rows: number, cols: number, out: Float32Array): void {
  const acc = new Float64Array(cols);
  let r = 0;
  let i = 0;
  for (; r + 4 <= rows; r += 4, i += 4 * cols) {
    for (let c = 0; c < cols; c++) {
      const j = i + c;
      acc[c] = (acc[c] as number) + ((m[j] as number) + (m[j + cols] as number) + ((m[j + 2 * cols] as number) + (m[j + 3 * cols] as number)));
    }
  }
  for (; r < rows; r++, i += cols) {
    for (let c = 0; c < cols; c++) acc[c] = (acc[c] as number) + (m[i + c] as number);
  }
  out.set(acc);
}

/** Builds the kernel around the backend's own Sum, used for every other reduction. */
export function sumWasm(stock: KernelFunc): KernelFunc {
  const kernel = (args: { inputs: { x: TensorInfo }; backend: BackendWasm; attrs: Attrs }): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const x = inputs.x;
    const rank = x.shape.length;
    if (x.dtype !== 'float32' || !leadingAxes(attrs.axis, rank)) return stock(args as unknown as Parameters<KernelFunc>[0]) as TensorInfo;
    const cols = x.shape[rank - 1] as number;
    const rows = util.sizeFromShape(x.shape) / Math.max(1, cols);
    const out = allocF32(backend, attrs.keepDims ? [...new Array<number>(rank - 1).fill(1), cols] : [cols]);
    const simd = simdKernels(backend);
    if (simd !== undefined && cols % 4 === 0 && rows > 0) {
      const acc = allocF32(backend, [2 * cols]); // cols doubles
      simd.columnSums(byteOffset(backend, x), rows, cols, byteOffset(backend, out), byteOffset(backend, acc));
      release(backend, acc);
    } else {
      columnSums(heapF32(backend, x), rows, cols, heapF32(backend, out));
    }
    return out;
  };
  return kernel as unknown as KernelFunc;
}

/**
 * Kernel config around the backend's own Sum config (keeps its setup function).
 *
 * @example
 * tf.registerKernel(sumConfig(tf.getKernel('Sum', 'wasm')!));
 */
export function sumConfig(stock: KernelConfig): KernelConfig {
  return { ...stock, kernelName: Sum, backendName: 'wasm', kernelFunc: sumWasm(stock.kernelFunc) };
}
