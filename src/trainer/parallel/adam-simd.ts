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
 * The module is built here with `kernels/wasm-encode.ts` (about 600 bytes: one function per
 * variant, no toolchain), and imports the replica pool's shared `WebAssembly.Memory`, which holds the weights,
 * the gradient regions and the optimizer's slots; pointers are the views' byte offsets in it.
 */

/** Adam's float32 constants for one variable and step, as `sharded-update.ts` computes them (its `AdamConstants` add the gradient factor). */
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

import { encodeModule, F32, I32, op, V128, type WasmFunction } from '../kernels/wasm-encode.js';
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

const [SPLAT, SQRT, ADD, SUB, MUL, DIV] = [op.f32x4Splat, op.f32x4Sqrt, op.f32x4Add, op.f32x4Sub, op.f32x4Mul, op.f32x4Div];
const { get, set } = op;

/**
 * One kernel's body. Params: 0 r0, 1 r1, 2 m, 3 v, 4 w (byte addresses), 5 groups of 4, then
 * the f32 constants 6 B1, 7 B2, 8 A1, 9 A2, 10 C1, 11 C2, 12 EPS, 13 rate, 14 WD. v128 locals:
 * 15 g, 16 m1, 17 v1, 18 update, 19 zero, 20–28 the constants splatted (param p at p + 14).
 */
function kernel(name: string, decay: boolean): WasmFunction {
  const [g, m1, v1, update, zero] = [15, 16, 17, 18, 19];
  const k = (param: number): number => param + 14;
  const code: number[] = [];
  for (let p = 6; p <= 14; p++) code.push(...get(p), ...SPLAT, ...set(k(p)));
  // block { loop { if groups == 0 break; …; groups -= 1; continue } }
  code.push(0x02, 0x40, 0x03, 0x40, ...get(5), ...op.eqz, ...op.brIf(1));
  // g = (0 + r0) + r1
  code.push(...get(zero), ...get(0), ...op.v128Load, ...ADD, ...get(1), ...op.v128Load, ...ADD, ...set(g));
  // m1 = m·B1 + g·A1; v1 = v·B2 + (g·g)·A2; stored
  code.push(...get(2), ...op.v128Load, ...get(k(6)), ...MUL, ...get(g), ...get(k(8)), ...MUL, ...ADD, ...set(m1));
  code.push(...get(3), ...op.v128Load, ...get(k(7)), ...MUL, ...get(g), ...get(g), ...MUL, ...get(k(9)), ...MUL, ...ADD, ...set(v1));
  code.push(...get(2), ...get(m1), ...op.v128Store, ...get(3), ...get(v1), ...op.v128Store);
  // update = (m1 / C1) / (sqrt(v1 / C2) + EPS) [+ w·WD]
  code.push(...get(m1), ...get(k(10)), ...DIV, ...get(v1), ...get(k(11)), ...DIV, ...SQRT, ...get(k(12)), ...ADD, ...DIV, ...set(update));
  if (decay) code.push(...get(update), ...get(4), ...op.v128Load, ...get(k(14)), ...MUL, ...ADD, ...set(update));
  // w = w − update·rate
  code.push(...get(4), ...get(4), ...op.v128Load, ...get(update), ...get(k(13)), ...MUL, ...SUB, ...op.v128Store);
  for (const p of [0, 1, 2, 3, 4]) code.push(...get(p), ...op.i32(16), ...op.add, ...set(p)); // pointer += 16
  code.push(...get(5), ...op.i32(1), ...op.sub, ...set(5), ...op.br(0), 0x0b, 0x0b); // groups -= 1; br loop; end loop; end block
  return { name, params: [I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32, F32, F32], locals: [[14, V128]], body: code };
}

/** The module: imports `env.memory` (shared, `pages` pages), exports `adam` and `adamw`. */
function moduleBytes(pages: number): Uint8Array {
  return encodeModule([kernel('adam', false), kernel('adamw', true)], { sharedPages: pages });
}
