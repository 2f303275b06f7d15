/**
 * Small helpers the fuseflow kernels use on the wasm backend: typed views of the wasm heap,
 * allocation and release of intermediate buffers, and the backend's fast (XNNPACK) matrix
 * multiply, which tfjs only takes when neither operand is transposed and the batch is 1.
 */
import { getKernel, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

let stockBatchMatMul: KernelFunc | undefined;

/** Remembers the wasm backend's own BatchMatMul before fuseflow replaces it. */
export function rememberStockBatchMatMul(fn: KernelFunc): void {
  stockBatchMatMul = fn;
}

function stockMatMul(): KernelFunc {
  if (stockBatchMatMul !== undefined) return stockBatchMatMul;
  const config = getKernel('BatchMatMul', 'wasm');
  if (config === undefined) throw new Error('the wasm backend has no BatchMatMul kernel');
  return config.kernelFunc;
}

/** A Float32Array view of a float32 tensor's bytes on the wasm heap (take it after allocating). */
export function heapF32(backend: BackendWasm, info: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/** Allocates an uninitialised float32 buffer on the wasm heap. */
export function allocF32(backend: BackendWasm, shape: readonly number[]): TensorInfo {
  return backend.makeOutput([...shape], 'float32');
}

/** Frees an intermediate buffer made by a kernel. */
export function release(backend: BackendWasm, info: TensorInfo): void {
  backend.disposeData(info.dataId);
}

/** The same bytes seen with another shape (no copy; valid while `info` lives). */
export function withShape(info: TensorInfo, shape: readonly number[]): TensorInfo {
  return { dataId: info.dataId, shape: [...shape], dtype: info.dtype };
}

/**
 * `a [M, K] @ b [K, N]` through the backend's XNNPACK fully-connected path; returns a new
 * `[M, N]` buffer. XNNPACK caches `b` packed under b's tensor id until b is freed, so `b`
 * must not be a view of a tensor that is used elsewhere as `b` with another shape.
 */
export function matMulNN(backend: BackendWasm, a: TensorInfo, b: TensorInfo): TensorInfo {
  const out = stockMatMul()({ inputs: { a, b }, backend, attrs: { transposeA: false, transposeB: false } }) as TensorInfo;
  return { dataId: out.dataId, shape: [a.shape[0] as number, b.shape[1] as number], dtype: 'float32' };
}

/** Writes the transpose of the row-major `[rows, cols]` matrix `src` into `dst` `[cols, rows]`. */
export function transposeInto(src: Float32Array, rows: number, cols: number, dst: Float32Array): void {
  const B = 32;
  for (let r0 = 0; r0 < rows; r0 += B) {
    const r1 = Math.min(rows, r0 + B);
    for (let c0 = 0; c0 < cols; c0 += B) {
      const c1 = Math.min(cols, c0 + B);
      for (let r = r0; r < r1; r++) {
        const rowOff = r * cols;
        for (let c = c0; c < c1; c++) dst[c * rows + r] = src[rowOff + c] as number;
      }
    }
  }
}

/**
 * `x` with its axes permuted by `perm`, through the backend's own (C++) `Transpose` kernel,
 * several times faster than a JavaScript loop. Always a new buffer, never a view of `x` (the
 * kernel answers an identity permutation with `x` itself, which is copied here), so the result
 * can be handed to XNNPACK as a weight matrix or filter and released after.
 */
export function transposeOnBackend(backend: BackendWasm, x: TensorInfo, perm: readonly number[]): TensorInfo {
  const config = getKernel('Transpose', 'wasm');
  if (config === undefined) throw new Error('the wasm backend has no Transpose kernel');
  const out = config.kernelFunc({ inputs: { x }, backend, attrs: { perm: [...perm] } }) as TensorInfo;
  if (out.dataId !== x.dataId) return out;
  release(backend, out); // the identity's extra reference
  const copy = allocF32(backend, out.shape);
  heapF32(backend, copy).set(heapF32(backend, x));
  return copy;
}

/**
 * Another reference to `x`'s bytes (no copy): the backend's reference count is raised, so the
 * bytes live until every tensor holding them is disposed, as the pure-JS backend does for
 * identities. Safe because the backend never writes into an existing buffer.
 */
export function aliasOf(backend: BackendWasm, x: TensorInfo): TensorInfo {
  const data = backend.dataIdMap.get(x.dataId);
  if (data === undefined) throw new Error('aliasOf: the tensor is not on the wasm backend');
  data.refCount++;
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}
