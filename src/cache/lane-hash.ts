/**
 * The payload checksum of cache entries: four independent 64-bit lanes of XXH64's accumulator
 * round, `acc = rotl64(acc + word · P2, 31) · P1` (XXH64's primes and seeds, seed 0), over the
 * payload's little-endian 64-bit words taken in 32-byte stripes (word j of each stripe goes to
 * lane j), the last stripe zero-padded. The digest is the four lanes (32 bytes); no lossy merge.
 *
 * Why it always detects a flipped bit: for a fixed word the round is a bijection of the lane
 * (adding a constant, a rotation and multiplying by an odd constant are invertible mod 2⁶⁴), and
 * for a fixed lane it is a bijection of the word (P2 is odd). So damage inside one 32-byte stripe
 * — any one flipped bit or byte, any burst within an aligned stripe — changes at least one lane's
 * final value, always; other damage escapes with probability about 2⁻⁶⁴ (CRC-32: 2⁻³²). The
 * payload length is recorded beside the digest (entry-record.ts), so padding cannot hide a cut.
 *
 * Speed: the rounds run in a tiny WebAssembly module built below (no dependency, compiled once
 * per thread); JavaScript has no fast 64-bit multiply. {@link copyAndHash} copies a payload into a
 * fresh buffer and hashes that copy chunk by chunk while the chunk is still in the CPU cache, so
 * the bytes handed to the caller are the bytes checked, and memory is read once.
 */

/** XXH64's primes (`P1`, `P2`) and initial lanes for seed 0: P1+P2, P2, 0, −P1 (mod 2⁶⁴). */
const P1 = 0x9e3779b185ebca87n;
const P2 = 0xc2b2ae3d27d4eb4fn;
const MASK = (1n << 64n) - 1n;
const SEEDS = [(P1 + P2) & MASK, P2, 0n, -P1 & MASK] as const;

/** Bytes per stripe (four 8-byte words, one per lane) and the size of the digest. */
export const STRIPE = 32;
/** Bytes hashed per call into WebAssembly (fits the CPU's L2 cache beside the copy). */
const CHUNK = 128 * 1024;
/** Where the data chunk sits in the module's memory; the four lanes are at 0..31. */
const DATA = 64;

/** Signed LEB128 of a 64-bit value (WebAssembly's `i64.const` immediate). */
function sleb64(value: bigint): number[] {
  let v = BigInt.asIntN(64, value);
  const out: number[] = [];
  for (;;) {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    const done = (v === 0n && (byte & 0x40) === 0) || (v === -1n && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

/** A section: id, byte length (LEB128, < 128 here or two bytes), contents. */
function section(id: number, body: readonly number[]): number[] {
  const n = body.length;
  return [id, ...(n < 128 ? [n] : [(n & 0x7f) | 0x80, n >> 7]), ...body];
}

/**
 * The module, as its binary form. In text form:
 * ```wat
 * (module
 *   (memory (export "mem") 3)
 *   (func (export "update") (param $p i32) (param $end i32) (local $a i64) (local $b i64) (local $c i64) (local $d i64)
 *     (local.set $a (i64.load offset=0 (i32.const 0)))  ;; … $b, $c, $d from offsets 8, 16, 24
 *     (block $out (loop $next
 *       (br_if $out (i32.ge_u (local.get $p) (local.get $end)))
 *       (local.set $a (i64.mul (i64.rotl (i64.add (local.get $a) (i64.mul (i64.load offset=0 (local.get $p)) (i64.const P2))) (i64.const 31)) (i64.const P1)))
 *       ;; … $b, $c, $d with the words at offsets 8, 16, 24
 *       (local.set $p (i32.add (local.get $p) (i32.const 32)))
 *       (br $next)))
 *     (i64.store offset=0 (i32.const 0) (local.get $a))  ;; … $b, $c, $d to offsets 8, 16, 24
 *   ))
 * ```
 * `update(p, end)` runs the lanes (kept in memory at 0..31) over the stripes in [p, end).
 */
function moduleBytes(): Uint8Array {
  const [I32_CONST, I64_CONST, GET, SET, I64_LOAD, I64_STORE] = [0x41, 0x42, 0x20, 0x21, 0x29, 0x37];
  const [I64_ADD, I64_MUL, I64_ROTL, I32_ADD, I32_GE_U] = [0x7c, 0x7e, 0x89, 0x6a, 0x4f];
  const [BLOCK, LOOP, BR, BR_IF, END, VOID] = [0x02, 0x03, 0x0c, 0x0d, 0x0b, 0x40];
  const p = 0;
  const end = 1;
  const lane = (k: number): number => 2 + k; // locals $a..$d
  const code: number[] = [];
  for (let k = 0; k < 4; k++) code.push(I32_CONST, 0, I64_LOAD, 3, 8 * k, SET, lane(k));
  code.push(BLOCK, VOID, LOOP, VOID, GET, p, GET, end, I32_GE_U, BR_IF, 1);
  for (let k = 0; k < 4; k++) {
    code.push(GET, lane(k), GET, p, I64_LOAD, 3, 8 * k, I64_CONST, ...sleb64(P2), I64_MUL, I64_ADD);
    code.push(I64_CONST, 31, I64_ROTL, I64_CONST, ...sleb64(P1), I64_MUL, SET, lane(k));
  }
  code.push(GET, p, I32_CONST, STRIPE, I32_ADD, SET, p, BR, 0, END, END);
  for (let k = 0; k < 4; k++) code.push(I32_CONST, 0, GET, lane(k), I64_STORE, 3, 8 * k);
  code.push(END);
  const body = [1, 4, 0x7e, ...code]; // one local group: four i64
  const name = (s: string): number[] => [s.length, ...Buffer.from(s, 'latin1')];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, 0x60, 2, 0x7f, 0x7f, 0]), // type 0: (i32, i32) → ()
    ...section(3, [1, 0]), // function 0 has type 0
    ...section(5, [1, 0x00, Math.ceil((DATA + CHUNK) / 65536)]), // one memory, pages enough for a chunk
    ...section(7, [2, ...name('mem'), 0x02, 0, ...name('update'), 0x00, 0]),
    ...section(10, [1, ...(body.length < 128 ? [body.length] : [(body.length & 0x7f) | 0x80, body.length >> 7]), ...body]),
  ]);
}

interface LaneModule {
  readonly bytes: Uint8Array;
  readonly lanes: DataView;
  readonly update: (p: number, end: number) => void;
}

/** The part of the WebAssembly JavaScript API used here (the project's `lib` setting declares none of it). */
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object) => { readonly exports: Readonly<Record<string, unknown>> };
}

let instance: LaneModule | undefined;

/** The module of this thread, compiled on first use (synchronously: it is a few hundred bytes). */
function laneModule(): LaneModule {
  if (instance !== undefined) return instance;
  const api = (globalThis as unknown as { readonly WebAssembly: WasmApi }).WebAssembly;
  const wasm = new api.Instance(new api.Module(moduleBytes()));
  const mem = wasm.exports['mem'] as { readonly buffer: ArrayBuffer };
  const update = wasm.exports['update'] as (p: number, end: number) => void;
  instance = { bytes: new Uint8Array(mem.buffer), lanes: new DataView(mem.buffer, 0, STRIPE), update };
  return instance;
}

/** Hashes `src` (and copies each chunk to `dest` at the same offset first, when given); returns the digest. */
function run(src: Uint8Array, dest: Uint8Array | undefined): Uint8Array {
  const m = laneModule();
  SEEDS.forEach((seed, k) => m.lanes.setBigUint64(8 * k, seed, true));
  const n = src.length;
  for (let off = 0; off < n; off += CHUNK) {
    const len = Math.min(CHUNK, n - off);
    let chunk = src.subarray(off, off + len);
    if (dest !== undefined) {
      dest.set(chunk, off);
      chunk = dest.subarray(off, off + len);
    }
    m.bytes.set(chunk, DATA);
    const padded = Math.ceil(len / STRIPE) * STRIPE;
    m.bytes.fill(0, DATA + len, DATA + padded);
    m.update(DATA, DATA + padded);
  }
  return m.bytes.slice(0, STRIPE);
}

/**
 * The 32-byte lane digest of `bytes` (the four lanes, each u64 little-endian).
 * @example laneHash(new Uint8Array(0)); // the seeds: 60ea27eeadc0b5d6 4fe…
 */
export function laneHash(bytes: Uint8Array): Uint8Array {
  return run(bytes, undefined);
}

/**
 * A fresh copy of `src` (its own 8-byte-aligned ArrayBuffer) and the lane digest of that copy,
 * computed in one pass. `src` is read once and may be reused by its owner as soon as this returns
 * (LMDB's reusable read buffer).
 */
export function copyAndHash(src: Uint8Array): { readonly copy: Buffer; readonly digest: Uint8Array } {
  const copy = Buffer.allocUnsafeSlow(src.length);
  return { copy, digest: run(src, copy) };
}

/** @internal The same digest in plain BigInt arithmetic (slow), for tests of the module. */
export function laneHashReference(bytes: Uint8Array): Uint8Array {
  const lanes = [...SEEDS];
  const padded = new Uint8Array(Math.ceil(bytes.length / STRIPE) * STRIPE);
  padded.set(bytes);
  const view = new DataView(padded.buffer);
  for (let off = 0; off < padded.length; off += 8) {
    const k = (off / 8) % 4;
    const acc = ((lanes[k] as bigint) + view.getBigUint64(off, true) * P2) & MASK;
    lanes[k] = ((((acc << 31n) | (acc >> 33n)) & MASK) * P1) & MASK;
  }
  const out = new DataView(new ArrayBuffer(STRIPE));
  lanes.forEach((v, k) => out.setBigUint64(8 * k, v, true));
  return new Uint8Array(out.buffer);
}
