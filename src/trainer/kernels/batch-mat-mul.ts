/**
 * `BatchMatMul` for the wasm backend with fast transposes. The backend runs `a @ b` through
 * XNNPACK only when neither operand is transposed and the batch is 1; any `transposeA` /
 * `transposeB` falls to a scalar loop about ten times slower, and every dense layer's gradient
 * asks for one. This kernel transposes the operand into a scratch buffer (with the backend's own
 * C++ transpose) and takes the fast path; batched products go to the backend's own kernel unchanged.
 *
 * XNNPACK packs its right operand on every call whose right operand is a new buffer, which costs
 * about four times a plain copy of it; for a dense layer's input gradient `dy [M, N] @ Wᵀ` that
 * is the whole weight matrix, whatever the batch (~0.7 ms a step on the fixed CNN's 1600 × 128
 * layer, half its product at 32 rows). When packing the other side is cheaper, the product is
 * taken swapped, `(op(b)ᵀ @ op(a)ᵀ)ᵀ`: the weight becomes the left operand as stored, the small
 * activation gradient is packed, and the `[N, M]` result is transposed back ({@link productRoute}).
 * Where the WebAssembly SIMD kernels run and `N` is a multiple of 16, a transposed product is
 * instead the SIMD `productTN` on the row-major operands, which packs nothing (dense layer
 * gradients of the fixed CNN: `xᵀ @ dy` 0.9 vs 2.7 ms CPU, `dy @ Wᵀ` about even).
 */
import { BatchMatMul, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { requireFloat32 } from './require-float32.js';
import { byteOffset, simdKernels, type SimdKernels } from './simd-kernels.js';
import { allocF32, matMulNN, release, transposeOnBackend, withShape } from './wasm-heap.js';

interface Attrs {
  readonly transposeA: boolean;
  readonly transposeB: boolean;
}

function product(dims: readonly number[]): number {
  return dims.reduce((p, d) => p * d, 1);
}

/** Cost of XNNPACK packing an element of its right operand, in plain element copies (measured ~4–6). */
const PACK_COST = 4;

/** Output columns below which the swapped product is never taken (XNNPACK's tiles are 8 wide). */
const MIN_SWAP_ROWS = 8;

/**
 * Which way a 2D product `op(a) [M, K] @ op(b) [K, N]` is cheaper, counting element copies:
 * `'direct'` packs `op(b)` (`K·N`, after a transpose copy when `transposeB`); `'swapped'`
 * computes `(op(b)ᵀ @ op(a)ᵀ)ᵀ`, packing a fresh copy of `op(a)ᵀ` (`K·M`; never a view of `a`,
 * which XNNPACK would cache under `a`'s id), copying `b` unless stored as `op(b)ᵀ`, and
 * transposing the `[N, M]` result. Untransposed products stay
 * direct: their right operand is usually a weight that XNNPACK keeps packed between calls
 * while it is unchanged (inference, validation).
 *
 * @example
 * productRoute(64, 1600, 128, false, true) // 'swapped': dy [64, 128] @ Wᵀ with W [1600, 128]
 */
export function productRoute(m: number, n: number, k: number, transposeA: boolean, transposeB: boolean): 'direct' | 'swapped' {
  if (!transposeA && !transposeB) return 'direct';
  if (m < MIN_SWAP_ROWS) return 'direct';
  const direct = PACK_COST * k * n + (transposeA ? k * m : 0) + (transposeB ? k * n : 0);
  const swapped = PACK_COST * k * m + k * m + (transposeB ? 0 : k * n) + m * n;
  return swapped < direct ? 'swapped' : 'direct';
}

/** `[rows, cols]` as stored, and a scratch `[cols, rows]` copy when `transpose` is set. */
function asPlain(backend: BackendWasm, t: TensorInfo, transpose: boolean): { readonly info: TensorInfo; readonly scratch: boolean } {
  const r = t.shape.length;
  const rows = t.shape[r - 2] as number;
  const cols = t.shape[r - 1] as number;
  if (!transpose) return { info: withShape(t, [rows, cols]), scratch: false };
  return { info: transposeOnBackend(backend, withShape(t, [rows, cols]), [1, 0]), scratch: true };
}

/** `op(a) @ op(b)` as `(op(b)ᵀ @ op(a)ᵀ)ᵀ`: a new `[M, N]` buffer. */
function swappedProduct(backend: BackendWasm, a: TensorInfo, b: TensorInfo, attrs: Attrs): TensorInfo {
  const left = asPlain(backend, b, !attrs.transposeB); // op(b)ᵀ [N, K]
  // op(a)ᵀ [K, M], always a new buffer: XNNPACK caches its packing under the right operand's id
  const right = transposeOnBackend(backend, withShape(a, a.shape.slice(-2)), attrs.transposeA ? [0, 1] : [1, 0]);
  const outT = matMulNN(backend, left.info, right); // [N, M]
  if (left.scratch) release(backend, left.info);
  release(backend, right);
  const out = transposeOnBackend(backend, outT, [1, 0]);
  release(backend, outT);
  return out;
}

/**
 * `op(a) @ op(b)` as the SIMD `productTN` on row-major copies of the transposed operands: no
 * packing (`n` a multiple of 16). A new `[M, N]` buffer.
 */
function simdProduct(simd: SimdKernels, backend: BackendWasm, a: TensorInfo, b: TensorInfo, attrs: Attrs, m: number, k: number, n: number): TensorInfo {
  const pa = asPlain(backend, a, attrs.transposeA);
  const pb = asPlain(backend, b, attrs.transposeB);
  const out = allocF32(backend, [m, n]);
  if (m * n > 0) simd.productTN(byteOffset(backend, pa.info), k, m, k * 4, byteOffset(backend, pb.info), n, byteOffset(backend, out));
  if (pa.scratch) release(backend, pa.info);
  if (pb.scratch) release(backend, pb.info);
  return out;
}

/** Right operands of untransposed products seen so far (by their bytes' id). */
const seenRight = new WeakSet<object>();

/**
 * True the first time `b`'s bytes are the right operand of an untransposed product. XNNPACK
 * packs a right operand on first use and keeps it packed while it lives, which pays from the
 * second product on (a weight at inference); a training step's weight is a new tensor every
 * step, packed each time for one use, so a first use goes to `productTN`, which packs nothing
 * and gives the same bits (fixed CNN's 1600 × 128 dense layer: 1.2 vs 1.6 ms CPU).
 */
function firstAsRight(b: TensorInfo): boolean {
  if (seenRight.has(b.dataId)) return false;
  seenRight.add(b.dataId);
  return true;
}

/** Builds the kernel around the backend's own BatchMatMul, used for batched products. */
export function batchMatMulWasm(stock: KernelFunc): KernelFunc {
  const kernel = (args: { inputs: { a: TensorInfo; b: TensorInfo }; backend: BackendWasm; attrs: Attrs }): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const { a, b } = inputs;
    const batched = product(a.shape.slice(0, -2)) !== 1 || product(b.shape.slice(0, -2)) !== 1;
    const plain = !attrs.transposeA && !attrs.transposeB;
    if (!batched && plain && a.dtype === 'float32' && b.dtype === 'float32' && firstAsRight(b)) {
      const n = b.shape[b.shape.length - 1] as number;
      const simd = n % 16 === 0 ? simdKernels(backend) : undefined;
      if (simd !== undefined)
        return withShape(simdProduct(simd, backend, a, b, attrs, a.shape[a.shape.length - 2] as number, a.shape[a.shape.length - 1] as number, n), [...a.shape.slice(0, -1), n]);
    }
    if (batched || plain || a.dtype !== 'float32' || b.dtype !== 'float32') {
      return stock(args as unknown as Parameters<KernelFunc>[0]) as TensorInfo;
    }
    requireFloat32(BatchMatMul, inputs);
    const ra = a.shape.length;
    const rb = b.shape.length;
    const m = a.shape[attrs.transposeA ? ra - 1 : ra - 2] as number;
    const kA = a.shape[attrs.transposeA ? ra - 2 : ra - 1] as number;
    const kB = b.shape[attrs.transposeB ? rb - 1 : rb - 2] as number;
    const n = b.shape[attrs.transposeB ? rb - 2 : rb - 1] as number;
    if (kA !== kB) return stock(args as unknown as Parameters<KernelFunc>[0]) as TensorInfo;
    const outer = a.shape.length >= b.shape.length ? a.shape.slice(0, -2) : b.shape.slice(0, -2);
    const simd = n % 16 === 0 ? simdKernels(backend) : undefined;
    if (simd !== undefined) return withShape(simdProduct(simd, backend, a, b, attrs, m, kA, n), [...outer, m, n]);
    if (productRoute(m, n, kA, attrs.transposeA, attrs.transposeB) === 'swapped') {
      return withShape(swappedProduct(backend, a, b, attrs), [...outer, m, n]);
    }
    const pa = asPlain(backend, a, attrs.transposeA);
    const pb = asPlain(backend, b, attrs.transposeB);
    const out = matMulNN(backend, pa.info, pb.info);
    if (pa.scratch) release(backend, pa.info);
    if (pb.scratch) release(backend, pb.info);
    return withShape(out, [...outer, m, n]);
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
