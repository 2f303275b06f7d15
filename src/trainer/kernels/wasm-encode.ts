/**
 * A minimal WebAssembly binary encoder: just what fuseflow's SIMD kernels need (one imported
 * memory, functions of i32 parameters with no result, exports; i32/f32/f64 scalar and 128-bit
 * SIMD instructions), so that they are written here as readable instruction lists instead of
 * being shipped as an opaque binary. Instructions are plain byte arrays, concatenated.
 */

/** Unsigned LEB128. */
export function uleb(v: number): number[] {
  const out: number[] = [];
  let n = v >>> 0;
  do {
    const byte = n & 0x7f;
    n >>>= 7;
    out.push(n !== 0 ? byte | 0x80 : byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (32-bit). */
export function sleb(v: number): number[] {
  const out: number[] = [];
  let n = v | 0;
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

/** Value types of parameters and locals. */
export const I32 = 0x7f;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;

/** Instructions (each a byte array; `op.x(...)` builds those with immediates). */
export const op = {
  get: (i: number): number[] => [0x20, ...uleb(i)],
  set: (i: number): number[] => [0x21, ...uleb(i)],
  tee: (i: number): number[] => [0x22, ...uleb(i)],
  i32: (v: number): number[] => [0x41, ...sleb(v)],
  add: [0x6a],
  sub: [0x6b],
  mul: [0x6c],
  and: [0x71],
  geU: [0x4f],
  ltU: [0x49],
  eqz: [0x45],
  select: [0x1b],
  gtU: [0x4b],
  brIf: (depth: number): number[] => [0x0d, ...uleb(depth)],
  br: (depth: number): number[] => [0x0c, ...uleb(depth)],
  f32Load: [0x2a, 0, 0],
  f32Store: [0x38, 0, 0],
  f32Add: [0x92],
  /** SIMD (0xfd prefix). */
  v128Load: [0xfd, ...uleb(0x00), 0, 0],
  v128Store: [0xfd, ...uleb(0x0b), 0, 0],
  /** `v128.load` / `v128.store` with a constant byte offset added to the address. */
  v128LoadAt: (offset: number): number[] => [0xfd, ...uleb(0x00), 0, ...uleb(offset)],
  v128StoreAt: (offset: number): number[] => [0xfd, ...uleb(0x0b), 0, ...uleb(offset)],
  v128Const: (bytes: readonly number[]): number[] => [0xfd, ...uleb(0x0c), ...bytes],
  shuffle: (lanes: readonly number[]): number[] => [0xfd, ...uleb(0x0d), ...lanes],
  f32x4Splat: [0xfd, ...uleb(0x13)],
  f32x4Eq: [0xfd, ...uleb(0x41)],
  v128And: [0xfd, ...uleb(0x4e)],
  v128AndNot: [0xfd, ...uleb(0x4f)],
  v128Or: [0xfd, ...uleb(0x50)],
  f32x4DemoteZero: [0xfd, ...uleb(0x5e)],
  f64x2PromoteLow: [0xfd, ...uleb(0x5f)],
  f32x4Sqrt: [0xfd, ...uleb(0xe3)],
  f32x4Add: [0xfd, ...uleb(0xe4)],
  f32x4Sub: [0xfd, ...uleb(0xe5)],
  f32x4Mul: [0xfd, ...uleb(0xe6)],
  f32x4Div: [0xfd, ...uleb(0xe7)],
  f64x2Add: [0xfd, ...uleb(0xf0)],
} as const;

/**
 * `for (i = start; i < end; i += step) body`, with `i` and `end` locals (unsigned compare); the
 * body may not branch out of the loop.
 */
export function forLoop(i: number, start: readonly number[], end: number, step: number, body: readonly number[]): number[] {
  // prettier-ignore
  return [
    ...start,
    ...op.set(i),
    0x02, 0x40, // block
    0x03, 0x40, // loop
    ...op.get(i), ...op.get(end), ...op.geU, ...op.brIf(1),
    ...body,
    ...op.get(i), ...op.i32(step), ...op.add, ...op.set(i),
    ...op.br(0),
    0x0b, 0x0b, // end loop, end block
  ];
}

/** One exported function: its parameters, extra locals by type, and body. */
export interface WasmFunction {
  readonly name: string;
  /** That many i32 parameters, or each parameter's value type (`I32`, `F32`, …). */
  readonly params: number | readonly number[];
  readonly locals: readonly (readonly [count: number, type: number])[];
  readonly body: readonly number[];
}

function section(id: number, payload: readonly number[]): number[] {
  return [id, ...uleb(payload.length), ...payload];
}

function vec(items: readonly (readonly number[])[]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(s: string): number[] {
  const bytes = [...Buffer.from(s, 'utf8')];
  return [...uleb(bytes.length), ...bytes];
}

/** Options of {@link encodeModule}. */
export interface EncodeModuleOptions {
  /** Import a shared memory of exactly this many 64 KiB pages (initial = maximum). Default: an unshared memory, no maximum. */
  readonly sharedPages?: number;
}

/**
 * A module importing its memory as `env.memory` and exporting `fns`.
 *
 * @example
 * const bytes = encodeModule([{ name: 'f', params: 1, locals: [], body: [] }]);
 */
export function encodeModule(fns: readonly WasmFunction[], options: EncodeModuleOptions = {}): Uint8Array {
  const types = fns.map((f) => {
    const params = typeof f.params === 'number' ? new Array<number>(f.params).fill(I32) : f.params;
    return [0x60, ...vec(params.map((t) => [t])), 0];
  });
  const pages = options.sharedPages;
  const limits = pages === undefined ? [0x00, 0x00] : [0x03, ...uleb(pages), ...uleb(pages)];
  const imports = vec([[...name('env'), ...name('memory'), 0x02, ...limits]]);
  const funcs = vec(fns.map((_, i) => uleb(i)));
  const exports = vec(fns.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]));
  const bodies = vec(
    fns.map((f) => {
      const body = [...vec(f.locals.map(([count, type]) => [...uleb(count), type])), ...f.body, 0x0b];
      return [...uleb(body.length), ...body];
    }),
  );
  // prettier-ignore
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, imports),
    ...section(3, funcs),
    ...section(7, exports),
    ...section(10, bodies),
  ]);
}
