/**
 * The sharded update's Adam (and AdamW) on the sum of two gradient regions — the 2-thread case —
 * in WebAssembly SIMD: four float32 lanes per instruction, where the scalar JavaScript loop
 * (`sharded-update.ts`) rounds every op of every element through `Math.fround` in double precision.
 * Each f32x4 op (add, mul, div, sqrt) is IEEE float32, correctly rounded per lane, as the scalar
 * loop's `Math.fround` of the double result is (double has more than 2·24+2 bits, so rounding
 * twice changes nothing) and as tfjs's float32 kernels are: the same bits, op for op, in the
 * same order. Measured on the fixed CNN's 225,034 parameters (2-core machine, load 2–4): 0.23 ms
 * per half against 1.6–2.6 ms for the scalar loop.
 *
 * The module is built here, byte by byte (about 600 bytes: one function per variant, no
 * toolchain), and imports the replica pool's shared `WebAssembly.Memory`, which holds the weights,
 * the gradient regions and the optimizer's slots; pointers are the views' byte offsets in it.
 */

/** Adam's float32 constants for one variable and step (as `sharded-update.ts` computes them). */
export interface AdamSimdConstants {
  readonly B1: number;
  readonly B2: number;
  readonly A1: number;
  readonly A2: number;
  readonly C1: number;
  readonly C2: number;
  readonly EPS: number;
  readonly WD: number;
  readonly rate: number;
}

/** The SIMD Adam bound to one memory. */
export interface AdamSimd {
  /**
   * Adam on the gradient elements `[lo, hi)` summed from two regions (`0 + r0 + r1`), four at a
   * time: slots `m` at `slots[j]`, `v` at `slots[floats + j]`, weights at `weights[wBase + j]`
   * (`decay`: AdamW's `+ w·WD`). Every array must be a view on the memory. Returns the first
   * element it left to the scalar loop (`hi` less the remainder of 4).
   */
  sum2(
    r0: Float32Array,
    r1: Float32Array,
    slots: Float32Array,
    weights: Float32Array,
    floats: number,
    wBase: number,
    lo: number,
    hi: number,
    c: AdamSimdConstants,
    decay: boolean,
  ): number;
}

import { wasmApi, type SharedWasmMemory } from './wasm-api.js';

type Kernel = (r0: number, r1: number, m: number, v: number, w: number, groups: number, ...c: number[]) => void;

/**
 * The SIMD Adam over `memory` (a shared WebAssembly memory whose initial size is its maximum),
 * or null where `memory` is a plain SharedArrayBuffer holder or this runtime has no WebAssembly
 * SIMD (the scalar loop then does it all).
 * @example const simd = adamSimd(memory); const from = simd?.sum2(r0, r1, slots, weights, F, 0, 0, n, c, false) ?? 0;
 */
export function adamSimd(memory: SharedWasmMemory): AdamSimd | null {
  const api = wasmApi();
  if (api === null || !(memory instanceof api.Memory)) return null;
  const bytes = moduleBytes(memory.buffer.byteLength / 65536);
  if (!api.validate(bytes)) return null;
  const exports = new api.Instance(new api.Module(bytes), { env: { memory } }).exports as { adam: Kernel; adamw: Kernel };
  return {
    sum2(r0, r1, slots, weights, floats, wBase, lo, hi, c, decay) {
      const groups = Math.max(0, (hi - lo) >> 2);
      if (groups === 0) return lo;
      (decay ? exports.adamw : exports.adam)(
        r0.byteOffset + 4 * lo,
        r1.byteOffset + 4 * lo,
        slots.byteOffset + 4 * lo,
        slots.byteOffset + 4 * (floats + lo),
        weights.byteOffset + 4 * (wBase + lo),
        groups,
        c.B1,
        c.B2,
        c.A1,
        c.A2,
        c.C1,
        c.C2,
        c.EPS,
        c.rate,
        c.WD,
      );
      return lo + 4 * groups;
    },
  };
}

const uleb = (n: number): number[] => {
  const out: number[] = [];
  let rest = n;
  do {
    let b = rest & 0x7f;
    rest >>>= 7;
    if (rest !== 0) b |= 0x80;
    out.push(b);
  } while (rest !== 0);
  return out;
};
const vec = (items: readonly number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: readonly number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (s: string): number[] => vec([...Buffer.from(s, 'utf8')].map((b) => [b]));
const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;
const get = (i: number): number[] => [0x20, ...uleb(i)];
const set = (i: number): number[] => [0x21, ...uleb(i)];
const simd = (op: number): number[] => [0xfd, ...uleb(op)];
const LOAD = [...simd(0x00), 0, 0]; // v128.load, alignment hint 1, offset 0
const STORE = [...simd(0x0b), 0, 0];
const SPLAT = simd(0x13); // f32x4.splat
const SQRT = simd(0xe3);
const ADD = simd(0xe4);
const SUB = simd(0xe5);
const MUL = simd(0xe6);
const DIV = simd(0xe7);

/**
 * One kernel's body. Params: 0 r0, 1 r1, 2 m, 3 v, 4 w (byte addresses), 5 groups of 4, then
 * the f32 constants 6 B1, 7 B2, 8 A1, 9 A2, 10 C1, 11 C2, 12 EPS, 13 rate, 14 WD. v128 locals:
 * 15 g, 16 m1, 17 v1, 18 update, 19 zero, 20–28 the constants splatted (param p at p + 14).
 */
function kernelBody(decay: boolean): number[] {
  const [g, m1, v1, update, zero] = [15, 16, 17, 18, 19];
  const k = (param: number): number => param + 14;
  const code: number[] = [];
  for (let p = 6; p <= 14; p++) code.push(...get(p), ...SPLAT, ...set(k(p)));
  // block { loop { if groups == 0 break; …; groups -= 1; continue } }
  code.push(0x02, 0x40, 0x03, 0x40, ...get(5), 0x45, 0x0d, 1);
  // g = (0 + r0) + r1
  code.push(...get(zero), ...get(0), ...LOAD, ...ADD, ...get(1), ...LOAD, ...ADD, ...set(g));
  // m1 = m·B1 + g·A1; v1 = v·B2 + (g·g)·A2; stored
  code.push(...get(2), ...LOAD, ...get(k(6)), ...MUL, ...get(g), ...get(k(8)), ...MUL, ...ADD, ...set(m1));
  code.push(...get(3), ...LOAD, ...get(k(7)), ...MUL, ...get(g), ...get(g), ...MUL, ...get(k(9)), ...MUL, ...ADD, ...set(v1));
  code.push(...get(2), ...get(m1), ...STORE, ...get(3), ...get(v1), ...STORE);
  // update = (m1 / C1) / (sqrt(v1 / C2) + EPS) [+ w·WD]
  code.push(...get(m1), ...get(k(10)), ...DIV, ...get(v1), ...get(k(11)), ...DIV, ...SQRT, ...get(k(12)), ...ADD, ...DIV, ...set(update));
  if (decay) code.push(...get(update), ...get(4), ...LOAD, ...get(k(14)), ...MUL, ...ADD, ...set(update));
  // w = w − update·rate
  code.push(...get(4), ...get(4), ...LOAD, ...get(update), ...get(k(13)), ...MUL, ...SUB, ...STORE);
  for (const p of [0, 1, 2, 3, 4]) code.push(...get(p), 0x41, 16, 0x6a, ...set(p)); // pointer += 16
  code.push(...get(5), 0x41, 1, 0x6b, ...set(5), 0x0c, 0, 0x0b, 0x0b, 0x0b); // groups -= 1; br loop; end; end; end
  const body = [...vec([[...uleb(14), V128]]), ...code];
  return [...uleb(body.length), ...body];
}

/** The module: imports `env.memory` (shared, `pages` pages), exports `adam` and `adamw`. */
function moduleBytes(pages: number): Uint8Array {
  const params = [I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32, F32, F32];
  const type = [0x60, ...vec(params.map((t) => [t])), 0];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([type])),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x03, ...uleb(pages), ...uleb(pages)]])),
    ...section(3, vec([[0], [0]])),
    ...section(
      7,
      vec([
        [...name('adam'), 0x00, 0],
        [...name('adamw'), 0x00, 1],
      ]),
    ),
    ...section(10, vec([kernelBody(false), kernelBody(true)])),
  ]);
}
