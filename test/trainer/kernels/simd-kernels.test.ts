import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { col2imSimd, col2imSimdFits } from '../../../src/trainer/kernels/col2im-simd.js';
import { colCols } from '../../../src/trainer/kernels/conv-geometry.js';
import { col2im } from '../../../src/trainer/kernels/im2col.js';
import { im2colTransposedSimd } from '../../../src/trainer/kernels/im2col-simd.js';
import { byteOffset, setSimdKernelsEnabled, simdKernels, type SimdKernels } from '../../../src/trainer/kernels/simd-kernels.js';
import { columnSums } from '../../../src/trainer/kernels/sum.js';
import { encodeModule, sleb, uleb } from '../../../src/trainer/kernels/wasm-encode.js';
import { allocF32, heapF32, matMulNN, release } from '../../../src/trainer/kernels/wasm-heap.js';
import { relErr, setUpBackends, values, wasmVsCpu, weightedSum } from './backends.js';
import { convCases, inputSize, slabRanges } from './conv-cases.js';
import { im2colTransposedByDefinition } from './im2col-definition.js';

// fuseflow's WebAssembly SIMD kernels (simd-kernels.ts) against the element-by-element
// definitions and, bit for bit, against the JavaScript loops they replace.

let backend: BackendWasm;
let simd: SimdKernels;

beforeAll(async () => {
  await setUpBackends();
  void tf.setBackend('wasm');
  backend = tf.backend() as BackendWasm;
  const kernels = simdKernels(backend);
  if (kernels === undefined) throw new Error('the SIMD kernels did not load on the wasm backend');
  simd = kernels;
  void tf.setBackend('cpu');
});

afterEach(() => setSimdKernelsEnabled(true));

/** A heap buffer holding `v`. */
function onHeap(v: Float32Array, shape: readonly number[] = [v.length]): tf.TensorInfo {
  const info = allocF32(backend, shape);
  heapF32(backend, info).set(v);
  return info;
}

function bits(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

describe('the encoder', () => {
  it('LEB128 known answers (the format definition examples)', () => {
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(uleb(0)).toEqual([0]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(sleb(-1)).toEqual([0x7f]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
  });

  it('an empty module with one function validates', () => {
    const api = (globalThis as unknown as { WebAssembly: { validate: (bytes: Uint8Array) => boolean } }).WebAssembly;
    expect(api.validate(encodeModule([{ name: 'f', params: 2, locals: [], body: [] }]))).toBe(true);
  });
});

describe('SIMD kernels, element by element', () => {
  it('addRows: overlapping destination rows are added row after row', () => {
    const dst = values(200, 1);
    const src = values(300, 2);
    const want = Float32Array.from(dst);
    for (let r = 0; r < 20; r++) for (let i = 0; i < 7; i++) want[r * 3 + i] = (want[r * 3 + i] as number) + (src[r * 11 + i] as number);
    const d = onHeap(dst);
    const s = onHeap(src);
    simd.addRows(byteOffset(backend, d), 12, byteOffset(backend, s), 44, 20, 7);
    expect(bits(heapF32(backend, d))).toEqual(bits(want));
    release(backend, d);
    release(backend, s);
  });

  it('gather3: a strided 3-level gather', () => {
    const src = values(1000, 3);
    const d = onHeap(new Float32Array(2 * 3 * 5).fill(Number.NaN));
    const s = onHeap(src);
    simd.gather3(byteOffset(backend, d), byteOffset(backend, s), 2, 60, 400, 3, 20, 48, 5, 8);
    const want: number[] = [];
    for (let a = 0; a < 2; a++) for (let b = 0; b < 3; b++) for (let c = 0; c < 5; c++) want.push(src[a * 100 + b * 12 + c * 2] as number);
    expect(Array.from(heapF32(backend, d))).toEqual(want);
    release(backend, d);
    release(backend, s);
  });

  it.each([
    [3, 2500, 2600, 16],
    [9, 100, 100, 48],
    [1, 1, 4, 32],
  ])('productTN k %i, n %i (row stride %i), cols %i: the float32 sum over n in order, bit for bit', (k, n, stride, cols) => {
    const a = values(k * stride, 21);
    const b = values(n * cols, 22);
    const want = new Float32Array(k * cols);
    for (let kk = 0; kk < k; kk++) {
      for (let c = 0; c < cols; c++) {
        let acc = 0;
        for (let i = 0; i < n; i++) acc = Math.fround(acc + Math.fround((a[kk * stride + i] as number) * (b[i * cols + c] as number)));
        want[kk * cols + c] = acc;
      }
    }
    const ai = onHeap(a);
    const bi = onHeap(b);
    const out = onHeap(new Float32Array(k * cols).fill(Number.NaN));
    simd.productTN(byteOffset(backend, ai), n, k, stride * 4, byteOffset(backend, bi), cols, byteOffset(backend, out));
    expect(bits(heapF32(backend, out))).toEqual(bits(want));
    for (const t of [ai, bi, out]) release(backend, t);
  });

  it.each([
    [64, 1600, 128],
    [7, 33, 16],
    [100, 5, 48],
  ])('productTN %i×%i @ %i columns: the XNNPACK product bit for bit (so routes may switch between them)', (m, k, n) => {
    const a = onHeap(values(m * k, 41), [m, k]);
    const b = onHeap(values(k * n, 42), [k, n]);
    const want = matMulNN(backend, a, b);
    const out = allocF32(backend, [m, n]);
    simd.productTN(byteOffset(backend, a), k, m, k * 4, byteOffset(backend, b), n, byteOffset(backend, out));
    expect(bits(heapF32(backend, out))).toEqual(bits(heapF32(backend, want)));
    for (const t of [a, b, want, out]) release(backend, t);
  });

  it.each([
    [43, 12],
    [8, 64],
    [3, 4],
    [1, 8],
  ])('columnSums %i×%i: the JavaScript sums bit for bit', (rows, cols) => {
    const m = values(rows * cols, rows);
    const want = new Float32Array(cols);
    columnSums(m, rows, cols, want);
    const mi = onHeap(m);
    const out = allocF32(backend, [cols]);
    const acc = allocF32(backend, [2 * cols]);
    simd.columnSums(byteOffset(backend, mi), rows, cols, byteOffset(backend, out), byteOffset(backend, acc));
    expect(bits(heapF32(backend, out))).toEqual(bits(want));
    for (const t of [mi, out, acc]) release(backend, t);
  });
});

describe('im2colTransposedSimd', () => {
  it.each(convCases)('$name: equals the definition, whole and for a middle range of slabs', ({ geometry: g }) => {
    const x = values(inputSize(g), 5);
    const xi = onHeap(x);
    for (const [s0, s1] of slabRanges(g)) {
      const want = im2colTransposedByDefinition(x, g, s0, s1);
      const out = onHeap(new Float32Array(want.length).fill(Number.NaN)); // every element must be written
      im2colTransposedSimd(simd, heapF32(backend, xi), g, heapF32(backend, out), s0, s1);
      expect(bits(heapF32(backend, out))).toEqual(bits(want));
      release(backend, out);
    }
    release(backend, xi);
  });
});

describe('col2imSimd', () => {
  it.each(convCases.filter((c) => col2imSimdFits(c.geometry)))('$name: the JavaScript col2im bit for bit, and the float64 definition', ({ geometry: g }) => {
    const K = colCols(g);
    const slabs = g.batch * g.outDepth;
    const N = slabs * g.outHeight * g.outWidth;
    const dCols = values(N * K, 7);
    const size = inputSize(g);
    const want = new Float32Array(size);
    col2im(dCols, g, want);
    const di = onHeap(dCols);
    const dx = onHeap(new Float32Array(size));
    col2imSimd(simd, byteOffset(backend, di), g, byteOffset(backend, dx));
    const got = heapF32(backend, dx);
    expect(bits(got)).toEqual(bits(want));
    // the definition: dx[input position] = Σ over (output position, tap) reading it
    const ref = new Float64Array(size);
    const cols = im2colTransposedByDefinition(
      Float32Array.from({ length: size }, (_, i) => i + 1),
      g,
      0,
      slabs,
    ); // which input each (k, n) reads (1-based; 0 = padding)
    for (let k = 0; k < K; k++) {
      for (let n = 0; n < N; n++) {
        const src = cols[k * N + n] as number;
        if (src > 0) ref[src - 1] = (ref[src - 1] as number) + (dCols[n * K + k] as number);
      }
    }
    for (let i = 0; i < size; i++) expect(Math.abs((got[i] as number) - (ref[i] as number))).toBeLessThan(1e-5);
    release(backend, di);
    release(backend, dx);
  });
});

/** `f`'s gradients on the wasm backend with the SIMD kernels off and on. */
function gradsOffOn(shape: readonly number[], f: (x: tf.Tensor) => tf.Scalar): [Float32Array, Float32Array] {
  void tf.setBackend('wasm');
  const out: Float32Array[] = [];
  for (const on of [false, true]) {
    setSimdKernelsEnabled(on);
    const x = tf.tensor(
      values(
        shape.reduce((a, b) => a * b, 1),
        11,
      ),
      [...shape],
    );
    const g = tf.grad(f)(x);
    out.push(g.dataSync() as Float32Array);
    tf.dispose([x, g]);
  }
  void tf.setBackend('cpu');
  return [out[0] as Float32Array, out[1] as Float32Array];
}

describe('the kernels that use them give the same bits with the SIMD kernels on and off', () => {
  it.each([
    ['2×2 s2, 32 channels', [2, 26, 26, 32]],
    ['2×2 s2, odd input (last row and column in no window)', [2, 7, 9, 8]],
    ['2×2 s2, 4 channels', [1, 6, 6, 4]],
  ] as const)('MaxPoolGrad %s', (_name, shape) => {
    const [off, on] = gradsOffOn(shape, (x) => weightedSum(tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid')));
    expect(bits(on)).toEqual(bits(off));
  });

  it('MaxPoolGrad: ties go to the first tap, row-major; a NaN window passes nothing (hand-derived)', () => {
    // one channel per window value, 4 channels: windows [5 5 / 1 1], [1 7 / 7 7], [2 1 / 2 1], [NaN 0 / 0 3]
    const taps = [
      [5, 5, 1, 1],
      [1, 7, 7, 7],
      [2, 1, 2, 1],
      [Number.NaN, 0, 0, 3],
    ];
    const xv = new Float32Array(16);
    for (let t = 0; t < 4; t++) for (let c = 0; c < 4; c++) xv[t * 4 + c] = taps[c]?.[t] as number; // [1, 2, 2, 4]
    void tf.setBackend('wasm');
    const x = tf.tensor(xv, [1, 2, 2, 4]);
    const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid'), tf.tensor([1, 2, 3, 4], [1, 1, 1, 4]))))(x);
    const got = Array.from(dx.dataSync());
    tf.dispose([x, dx]);
    void tf.setBackend('cpu');
    // tap-major: tap 0 gets channel 0 (5 first) and channel 2 (2 first); tap 1 gets channel 1 (7 first)
    expect(got).toEqual([1, 0, 3, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it.each([
    ['x [6, 5, 7, 12] + bias [12]', [6, 5, 7, 12], [12]],
    ['bias [1, 1, 8] + x [3, 4, 8] (bias first)', [1, 1, 8], [3, 4, 8]],
    ['x [64, 128] + bias [128]', [64, 128], [128]],
    ['not a bias: [4, 1] + [4, 8] (backend kernel)', [4, 1], [4, 8]],
    ['6 channels, not a multiple of 4 (backend kernel)', [5, 6], [6]],
  ] as const)('Add %s: the same bits as with the SIMD kernels off, and as on cpu', (_name, sa, sb) => {
    const run = (backendName: 'cpu' | 'wasm', on: boolean): number[] => {
      void tf.setBackend(backendName);
      setSimdKernelsEnabled(on);
      const a = tf.tensor(
        values(
          sa.reduce<number>((p, d) => p * d, 1),
          31,
        ),
        [...sa],
      );
      const b = tf.tensor(
        values(
          sb.reduce<number>((p, d) => p * d, 1),
          32,
        ),
        [...sb],
      );
      const c = tf.add(a, b);
      const out = bits(c.dataSync() as Float32Array);
      tf.dispose([a, b, c]);
      return out;
    };
    const cpu = run('cpu', true);
    expect(run('wasm', false)).toEqual(cpu);
    expect(run('wasm', true)).toEqual(cpu);
    void tf.setBackend('cpu');
  });

  it.each([[[5, 3, 7, 12]], [[64, 8]], [[3, 2, 2, 6]]])('Sum over leading axes of %j', (shape) => {
    const [off, on] = gradsOffOn(shape, (x) => weightedSum(tf.sum(tf.mul(x, x), [0, 1, 2].slice(0, shape.length - 1))));
    expect(bits(on)).toEqual(bits(off));
  });
});

describe('with the SIMD kernels off (a runtime without them), the fallback routes still match cpu', () => {
  it.each([
    ['fixed CNN second conv, batch 2', [2, 13, 13, 32], [3, 3, 32, 64], 1, 'valid'],
    ['fixed CNN first conv, batch 2', [2, 28, 28, 1], [3, 3, 1, 32], 1, 'valid'],
    ['Cin 8, stride 2, same', [2, 9, 8, 8], [3, 3, 8, 16], 2, 'same'],
  ] as const)('conv2d %s: input and filter gradients', (_name, xs, fs, stride, pad) => {
    setSimdKernelsEnabled(false);
    const errs = wasmVsCpu([xs, fs], (x, f) => weightedSum(tf.relu(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, stride, pad))));
    for (const e of errs) expect(e).toBeLessThan(1e-4);
  });

  it('an untransposed product: first use of the right operand (productTN) and later uses (XNNPACK, packed once) give the same bits, as cpu within 1e-6', () => {
    void tf.setBackend('wasm');
    const x = tf.tensor(values(24 * 70, 51), [24, 70]);
    const w = tf.tensor(values(70 * 32, 52), [70, 32]);
    const first = tf.matMul(x, w);
    const second = tf.matMul(x, w);
    const [f, s2] = [first.dataSync() as Float32Array, second.dataSync() as Float32Array];
    void tf.setBackend('cpu');
    const want = tf.matMul(tf.tensor(values(24 * 70, 51), [24, 70]), tf.tensor(values(70 * 32, 52), [70, 32]));
    expect(bits(s2)).toEqual(bits(f));
    expect(relErr(f, want.dataSync())).toBeLessThan(1e-6);
    tf.dispose([x, w, first, second, want]);
  });

  it('dense layer products with transposes (N a multiple of 16)', () => {
    setSimdKernelsEnabled(false);
    const errs = wasmVsCpu(
      [
        [16, 40],
        [40, 32],
      ],
      (x, w) => weightedSum(tf.relu(tf.matMul(x, w))),
    );
    for (const e of errs) expect(e).toBeLessThan(1e-5);
  });
});
