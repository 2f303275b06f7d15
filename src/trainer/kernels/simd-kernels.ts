/**
 * Inner loops of fuseflow's wasm kernels as 128-bit WebAssembly SIMD code that runs on the wasm
 * backend's own heap (the module imports the backend's memory): adding rows of floats (the col2im
 * scatter of the convolution input gradient), a strided gather (the transposed im2col matrix), a
 * product for few filter taps (filter gradients), a per-channel bias add, the 2×2 stride-2
 * max-pool gradient, and per-channel sums in double precision (bias gradients). A JavaScript
 * loop over a Float32Array costs ~1.4 ns per element on the reference machine; these take a
 * fraction of that. Each computes bit for bit what the code it replaces computes (same
 * operations in the same order per element; `productTN` the float32 sums over `n` in order, as
 * XNNPACK's product does), and callers fall back to that code where the module cannot be used
 * (shared memory, no SIMD) or the shapes do not fit (channels not a multiple of 4).
 */
import type { TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { encodeModule, forLoop, I32, op, V128, type WasmFunction } from './wasm-encode.js';

/** The exported kernels; every address is a byte offset in the backend's heap. */
export interface SimdKernels {
  /** `dst[r·dstStride + i] += src[r·srcStride + i]` for `r < rows`, `i < len`, row after row (strides in bytes). */
  readonly addRows: (dst: number, dstStride: number, src: number, srcStride: number, rows: number, len: number) => void;
  /**
   * A strided 3-level gather into floats: `dst[i0·ds0 + i1·ds1 + i2·4] = src[i0·ss0 + i1·ss1 + i2·ss2]`
   * for `i0 < n0`, `i1 < n1`, `i2 < n2` (strides in bytes).
   */
  readonly gather3: (dst: number, src: number, n0: number, ds0: number, ss0: number, n1: number, ds1: number, ss1: number, n2: number, ss2: number) => void;
  /**
   * `out [k, cols] = a [k, n] @ b [n, cols]` (`a`'s rows `aStride` bytes apart, `cols` a multiple
   * of 16): each output a plain float32 sum over `n` in order, two rows of `a` at a time, `b`
   * read in blocks of 1024 rows.
   * For a convolution's filter gradient with few taps (`colsᵀ @ dy`), where XNNPACK would pack
   * `dy` and the product needs transposes.
   */
  readonly productTN: (a: number, n: number, k: number, aStride: number, b: number, cols: number, out: number) => void;
  /** `out[r, c] = x[r, c] + bias[c]` for the `[rows, cols]` matrix `x` (`cols` a multiple of 4). */
  readonly addBias: (x: number, bias: number, out: number, rows: number, cols: number) => void;
  /**
   * Max-pool gradient, 2×2 windows at stride 2 from the top-left corner, NHWC, `c` a multiple of
   * 4: each `dy` goes to the first tap (row-major) equal to the pooled `y`, others get 0·dy.
   * Writes only the taps of the `oh·ow` windows.
   */
  readonly maxPool2x2Grad: (x: number, y: number, dy: number, dx: number, batch: number, oh: number, ow: number, h: number, w: number, c: number) => void;
  /** Column sums of the `[rows, cols]` matrix at `m` into `out` (`cols` a multiple of 4), in double precision in `acc` (`8·cols` bytes of scratch). */
  readonly columnSums: (m: number, rows: number, cols: number, out: number, acc: number) => void;
}

const { get, set, tee, i32 } = op;
const at = (base: number, offset: number): number[] => [...get(base), ...get(offset), ...op.add];
const ONE_X4 = op.v128Const([0, 0, 0x80, 0x3f, 0, 0, 0x80, 0x3f, 0, 0, 0x80, 0x3f, 0, 0, 0x80, 0x3f]);
const HIGH_HALF = op.shuffle([8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15]);
const LOW_HALVES = op.shuffle([0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]);

// addRows(dst 0, dstStride 1, src 2, srcStride 3, rows 4, len 5); r 6, i 7, lenB 8, n4B 9, d 10, s 11
const addRows: WasmFunction = {
  name: 'addRows',
  params: 6,
  locals: [[6, I32]],
  // prettier-ignore
  body: [
    ...get(5), ...i32(4), ...op.mul, ...tee(8), ...i32(-16), ...op.and, ...set(9),
    ...get(0), ...set(10), ...get(2), ...set(11),
    ...forLoop(6, i32(0), 4, 1, [
      ...forLoop(7, i32(0), 9, 16, [...at(10, 7), ...at(10, 7), ...op.v128Load, ...at(11, 7), ...op.v128Load, ...op.f32x4Add, ...op.v128Store]),
      ...forLoop(7, get(9), 8, 4, [...at(10, 7), ...at(10, 7), ...op.f32Load, ...at(11, 7), ...op.f32Load, ...op.f32Add, ...op.f32Store]),
      ...get(10), ...get(1), ...op.add, ...set(10),
      ...get(11), ...get(3), ...op.add, ...set(11),
    ]),
  ],
};

// gather3(dst 0, src 1, n0 2, ds0 3, ss0 4, n1 5, ds1 6, ss1 7, n2 8, ss2 9);
// i0 10, i1 11, i2 12, d0 13, s0 14, d1 15, s1 16, d 17, s 18
const step = (v: number, by: number): number[] => [...get(v), ...get(by), ...op.add, ...set(v)];
const gather3: WasmFunction = {
  name: 'gather3',
  params: 10,
  locals: [[9, I32]],
  // prettier-ignore
  body: [
    ...get(0), ...set(13), ...get(1), ...set(14),
    ...forLoop(10, i32(0), 2, 1, [
      ...get(13), ...set(15), ...get(14), ...set(16),
      ...forLoop(11, i32(0), 5, 1, [
        ...get(15), ...set(17), ...get(16), ...set(18),
        ...forLoop(12, i32(0), 8, 1, [
          ...get(17), ...get(18), ...op.f32Load, ...op.f32Store,
          ...get(17), ...i32(4), ...op.add, ...set(17),
          ...step(18, 9),
        ]),
        ...step(15, 6), ...step(16, 7),
      ]),
      ...step(13, 3), ...step(14, 4),
    ]),
  ],
};

// productTN(a 0, n 1, k 2, aStride 3, b 4, cols 5, out 6); i0 7, i1 8, kk 9, cb 10, i 11, colsB 12,
// arow 13, orow 14, pa 15, pb 16, end 17, x 18, arow2 19, orow2 20, pa2 21;
// v128: acc 22-25 (row kk), acc 26-29 (row kk + 1), s 30, s2 31, bv 32
/** Rows of `b` per pass of `productTN` (a 1024-row block of a 64-column `b` is 256 KiB: stays in L2). */
const TN_BLOCK = 1024;
const accLoad = (row: number, j: number, acc: number): number[] => [...get(row), ...get(10), ...op.add, ...op.v128LoadAt(16 * j), ...set(acc)];
const accStore = (row: number, j: number, acc: number): number[] => [...get(row), ...get(10), ...op.add, ...get(acc), ...op.v128StoreAt(16 * j)];
const mulAdd = (acc: number, s: number): number[] => [...get(acc), ...get(s), ...get(32), ...op.f32x4Mul, ...op.f32x4Add, ...set(acc)];
const bColumn = (j: number): number[] => [...get(16), ...op.v128LoadAt(16 * j), ...set(32), ...mulAdd(22 + j, 30), ...mulAdd(26 + j, 31)];
/** `then` if `kk + 1 < k` else `otherwise` (the second row of a pair, or the first again for an odd last row). */
const secondRow = (then: readonly number[], otherwise: readonly number[]): number[] => [...then, ...otherwise, ...get(9), ...i32(1), ...op.add, ...get(2), ...op.ltU, ...op.select];
const productTN: WasmFunction = {
  name: 'productTN',
  params: 7,
  locals: [
    [15, I32],
    [11, V128],
  ],
  // prettier-ignore
  body: [
    ...get(5), ...i32(4), ...op.mul, ...tee(12), ...get(2), ...op.mul, ...set(17),
    ...forLoop(18, i32(0), 17, 16, [...get(6), ...get(18), ...op.add, ...op.v128Const(new Array<number>(16).fill(0)), ...op.v128Store]),
    ...forLoop(7, i32(0), 1, TN_BLOCK, [
      ...get(7), ...i32(TN_BLOCK), ...op.add, ...get(1), ...get(7), ...i32(TN_BLOCK), ...op.add, ...get(1), ...op.ltU, ...op.select, ...set(8),
      ...forLoop(9, i32(0), 2, 2, [
        ...get(0), ...get(9), ...get(3), ...op.mul, ...op.add, ...set(13),
        ...get(6), ...get(9), ...get(12), ...op.mul, ...op.add, ...set(14),
        ...secondRow([...get(13), ...get(3), ...op.add], get(13)), ...set(19),
        ...secondRow([...get(14), ...get(12), ...op.add], get(14)), ...set(20),
        ...forLoop(10, i32(0), 12, 64, [
          ...accLoad(14, 0, 22), ...accLoad(14, 1, 23), ...accLoad(14, 2, 24), ...accLoad(14, 3, 25),
          ...accLoad(20, 0, 26), ...accLoad(20, 1, 27), ...accLoad(20, 2, 28), ...accLoad(20, 3, 29),
          ...get(13), ...get(7), ...i32(4), ...op.mul, ...op.add, ...set(15),
          ...get(19), ...get(7), ...i32(4), ...op.mul, ...op.add, ...set(21),
          ...get(4), ...get(7), ...get(12), ...op.mul, ...op.add, ...get(10), ...op.add, ...set(16),
          ...forLoop(11, get(7), 8, 1, [
            ...get(15), ...op.f32Load, ...op.f32x4Splat, ...set(30),
            ...get(21), ...op.f32Load, ...op.f32x4Splat, ...set(31),
            ...bColumn(0), ...bColumn(1), ...bColumn(2), ...bColumn(3),
            ...get(15), ...i32(4), ...op.add, ...set(15),
            ...get(21), ...i32(4), ...op.add, ...set(21),
            ...step(16, 12),
          ]),
          ...accStore(14, 0, 22), ...accStore(14, 1, 23), ...accStore(14, 2, 24), ...accStore(14, 3, 25),
          ...accStore(20, 0, 26), ...accStore(20, 1, 27), ...accStore(20, 2, 28), ...accStore(20, 3, 29),
        ]),
      ]),
    ]),
  ],
};

// addBias(x 0, bias 1, out 2, rows 3, cols 4); r 5, c 6, colsB 7, px 8, po 9
const addBias: WasmFunction = {
  name: 'addBias',
  params: 5,
  locals: [[5, I32]],
  // prettier-ignore
  body: [
    ...get(4), ...i32(4), ...op.mul, ...set(7),
    ...get(0), ...set(8), ...get(2), ...set(9),
    ...forLoop(5, i32(0), 3, 1, [
      ...forLoop(6, i32(0), 7, 16, [...at(9, 6), ...at(8, 6), ...op.v128Load, ...at(1, 6), ...op.v128Load, ...op.f32x4Add, ...op.v128Store]),
      ...step(8, 7), ...step(9, 7),
    ]),
  ],
};

// maxPool2x2Grad(x 0, y 1, dy 2, dx 3, batch 4, oh 5, ow 6, h 7, w 8, c 9);
// b 10, yr 11, yc 12, dB 13, row 14, o 15, rowB 16, cB 17, a 18, delta 19, imgB 20, t0 21;
// v128: m 22, g 23, e0 24, e1 25, u 26, e2 27, e3 28, one 29; window end 30
const tapEq = (offset: readonly number[]): number[] => [...get(18), ...offset, ...op.v128Load, ...get(22), ...op.f32x4Eq];
const store = (offset: readonly number[], e: number): number[] => [
  ...get(18),
  ...get(19),
  ...op.add,
  ...offset,
  ...get(e),
  ...get(29),
  ...op.v128And,
  ...get(23),
  ...op.f32x4Mul,
  ...op.v128Store,
];
const maxPool2x2Grad: WasmFunction = {
  name: 'maxPool2x2Grad',
  params: 10,
  locals: [
    [12, I32],
    [8, V128],
    [1, I32],
  ],
  // prettier-ignore
  body: [
    ...get(9), ...i32(4), ...op.mul, ...tee(17), ...get(8), ...op.mul, ...tee(16), ...get(7), ...op.mul, ...set(20),
    ...get(3), ...get(0), ...op.sub, ...set(19),
    ...ONE_X4, ...set(29),
    ...get(1), ...set(15), // o walks y and dy together: o is y's address, o + (dy − y) dy's
    ...get(2), ...get(1), ...op.sub, ...set(13), // (dB reused first as dy − y)
    ...forLoop(10, i32(0), 4, 1, [
      ...forLoop(11, i32(0), 5, 1, [
        ...get(0), ...get(10), ...get(20), ...op.mul, ...op.add, ...get(11), ...get(16), ...op.mul, ...i32(2), ...op.mul, ...op.add, ...set(14),
        ...forLoop(12, i32(0), 6, 1, [
          ...get(14), ...get(12), ...get(17), ...op.mul, ...i32(2), ...op.mul, ...op.add, ...tee(21),
          ...get(17), ...op.add, ...set(30),
          ...forLoop(18, get(21), 30, 16, [
            ...get(15), ...op.v128Load, ...set(22),
            ...get(15), ...get(13), ...op.add, ...op.v128Load, ...set(23),
            ...tapEq([]), ...tee(24),
            ...tapEq([...get(17), ...op.add]), ...get(24), ...op.v128AndNot, ...tee(25),
            ...get(24), ...op.v128Or, ...set(26),
            ...tapEq([...get(16), ...op.add]), ...get(26), ...op.v128AndNot, ...tee(27),
            ...get(26), ...op.v128Or, ...set(26),
            ...tapEq([...get(16), ...op.add, ...get(17), ...op.add]), ...get(26), ...op.v128AndNot, ...set(28),
            ...store([], 24),
            ...store([...get(17), ...op.add], 25),
            ...store([...get(16), ...op.add], 27),
            ...store([...get(16), ...op.add, ...get(17), ...op.add], 28),
            ...get(15), ...i32(16), ...op.add, ...set(15),
          ]),
        ]),
      ]),
    ]),
  ],
};

// columnSums(m 0, rows 1, cols 2, out 3, acc 4); r 5, c 6, rowB 7, p 8, rows4 9, aa 10, rowB2 11, rowB3 12
const pl = (addr: readonly number[]): number[] => [...addr, ...op.v128Load, ...op.f64x2PromoteLow];
const ph = (addr: readonly number[]): number[] => [...addr, ...op.v128Load, ...addr, ...op.v128Load, ...HIGH_HALF, ...op.f64x2PromoteLow];
const row = (k: number | undefined): number[] => (k === undefined ? at(8, 6) : [...get(8), ...get(k), ...op.add, ...get(6), ...op.add]);
// prettier-ignore
const sum4 = (half: (addr: readonly number[]) => number[]): number[] => [
  ...half(row(undefined)), ...half(row(7)), ...op.f64x2Add,
  ...half(row(11)), ...half(row(12)), ...op.f64x2Add,
  ...op.f64x2Add,
];
const accAdd = (offset: number, value: readonly number[]): number[] => [
  ...get(10),
  ...i32(offset),
  ...op.add,
  ...get(10),
  ...i32(offset),
  ...op.add,
  ...op.v128Load,
  ...value,
  ...op.f64x2Add,
  ...op.v128Store,
];
const columnSums: WasmFunction = {
  name: 'columnSums',
  params: 5,
  locals: [[8, I32]],
  // prettier-ignore
  body: [
    ...get(2), ...i32(4), ...op.mul, ...tee(7), ...i32(2), ...op.mul, ...set(11),
    ...get(7), ...i32(3), ...op.mul, ...set(12),
    ...get(1), ...i32(-4), ...op.and, ...set(9),
    ...forLoop(6, i32(0), 11, 16, [...get(4), ...get(6), ...op.add, ...op.v128Const(new Array<number>(16).fill(0)), ...op.v128Store]),
    ...get(0), ...set(8),
    ...forLoop(5, i32(0), 9, 4, [
      ...forLoop(6, i32(0), 7, 16, [
        ...get(4), ...get(6), ...i32(2), ...op.mul, ...op.add, ...set(10),
        ...accAdd(0, sum4(pl)),
        ...accAdd(16, sum4(ph)),
      ]),
      ...get(8), ...get(7), ...i32(4), ...op.mul, ...op.add, ...set(8),
    ]),
    ...forLoop(5, get(9), 1, 1, [
      ...forLoop(6, i32(0), 7, 16, [
        ...get(4), ...get(6), ...i32(2), ...op.mul, ...op.add, ...set(10),
        ...accAdd(0, pl(row(undefined))),
        ...accAdd(16, ph(row(undefined))),
      ]),
      ...get(8), ...get(7), ...op.add, ...set(8),
    ]),
    ...forLoop(6, i32(0), 7, 16, [
      ...get(3), ...get(6), ...op.add,
      ...get(4), ...get(6), ...i32(2), ...op.mul, ...op.add, ...set(10),
      ...get(10), ...op.v128Load, ...op.f32x4DemoteZero,
      ...get(10), ...i32(16), ...op.add, ...op.v128Load, ...op.f32x4DemoteZero,
      ...LOW_HALVES, ...op.v128Store,
    ]),
  ],
};

/** The part of the WebAssembly JS API used here (the project's TypeScript libs do not declare it). */
interface WasmMemory {
  readonly buffer: ArrayBufferLike;
}
interface WasmApi {
  readonly Memory: abstract new (...args: never[]) => WasmMemory;
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: object) => { readonly exports: object };
  readonly validate: (bytes: Uint8Array) => boolean;
}

const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
let compiled: object | null | undefined;
const instances = new WeakMap<WasmMemory, SimdKernels>();

function compile(api: WasmApi): object | null {
  if (compiled === undefined) {
    const bytes = encodeModule([addRows, gather3, productTN, addBias, maxPool2x2Grad, columnSums]);
    compiled = api.validate(bytes) ? new api.Module(bytes) : null;
  }
  return compiled;
}

/** The backend's wasm memory when it is a plain (unshared) one. */
function heapMemory(api: WasmApi, backend: BackendWasm): WasmMemory | undefined {
  const memory = (backend.wasm as unknown as { asm?: { memory?: unknown } }).asm?.memory;
  if (!(memory instanceof api.Memory)) return undefined;
  if (typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer) return undefined;
  return memory;
}

let enabled = true;

/** Turns the SIMD kernels off (callers take their JavaScript loops) or back on; for tests and benchmarks. */
export function setSimdKernelsEnabled(on: boolean): void {
  enabled = on;
}

/**
 * The SIMD kernels running on `backend`'s heap, or undefined where they cannot (or are switched
 * off): callers then take their JavaScript loops.
 *
 * @example
 * const simd = simdKernels(backend);
 * if (simd !== undefined) simd.addRows(byteOffset(backend, dx), 128, byteOffset(backend, cols), 1152, 11, 96);
 */
export function simdKernels(backend: BackendWasm): SimdKernels | undefined {
  if (!enabled || wasmApi === undefined) return undefined;
  const memory = heapMemory(wasmApi, backend);
  if (memory === undefined) return undefined;
  const known = instances.get(memory);
  if (known !== undefined) return known;
  const module = compile(wasmApi);
  if (module === null) return undefined;
  const kernels = new wasmApi.Instance(module, { env: { memory } }).exports as SimdKernels;
  instances.set(memory, kernels);
  return kernels;
}

/** The byte offset of a tensor's data in the backend's heap. */
export function byteOffset(backend: BackendWasm, info: TensorInfo): number {
  const data = backend.dataIdMap.get(info.dataId);
  if (data === undefined) throw new Error('byteOffset: the tensor is not on the wasm backend');
  return data.memoryOffset;
}
