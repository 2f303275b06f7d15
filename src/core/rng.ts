/**
 * Counter-based random numbers. A generator is a pure function of its key, derived from
 * `(seed, epoch, sampleId, opIndex)`, and of a counter: draw `i` of a sample's op is the same
 * whatever the order samples are processed in, and on whichever thread. The block function is
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011).
 */

const PHILOX_M0 = 0xd2511f53;
const PHILOX_M1 = 0xcd9e8d57;
const PHILOX_W0 = 0x9e3779b9;
const PHILOX_W1 = 0xbb67ae85;

/** High 32 bits of the unsigned 64-bit product of two u32 values. */
function mulhi32(a: number, b: number): number {
  const aLo = a & 0xffff;
  const aHi = a >>> 16;
  const bLo = b & 0xffff;
  const bHi = b >>> 16;
  const lolo = aLo * bLo;
  const hilo = aHi * bLo;
  const lohi = aLo * bHi;
  const hihi = aHi * bHi;
  const mid = (lolo >>> 16) + (hilo & 0xffff) + (lohi & 0xffff);
  return (hihi + (hilo >>> 16) + (lohi >>> 16) + (mid >>> 16)) >>> 0;
}

/** Philox4x32-10 of counter (c0..c3) under key (k0, k1); writes 4 words into `out`. */
function philox(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number, out: Uint32Array): void {
  for (let round = 0; round < 10; round++) {
    const hi0 = mulhi32(PHILOX_M0, c0);
    const lo0 = Math.imul(PHILOX_M0, c0) >>> 0;
    const hi1 = mulhi32(PHILOX_M1, c2);
    const lo1 = Math.imul(PHILOX_M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
    k0 = (k0 + PHILOX_W0) >>> 0;
    k1 = (k1 + PHILOX_W1) >>> 0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 128-bit hash (four u32 lanes) of a list of numbers and strings, stable across runs. */
export function hash128(parts: readonly (number | string)[]): [number, number, number, number] {
  let h1 = 0x243f6a88;
  let h2 = 0x85a308d3;
  let h3 = 0x13198a2e;
  let h4 = 0x03707344;
  const mix = (word: number): void => {
    h1 = Math.imul(h1 ^ word, 0xcc9e2d51) >>> 0;
    h2 = Math.imul(h2 ^ h1, 0x1b873593) >>> 0;
    h3 = (Math.imul(h3 ^ (h2 >>> 15), 0x38b34ae5) + h1) >>> 0;
    h4 = (Math.imul(h4 ^ (h3 >>> 13), 0xa1e38b93) + h2) >>> 0;
    h1 = ((h1 << 13) | (h1 >>> 19)) >>> 0;
  };
  for (const part of parts) {
    if (typeof part === 'number') {
      mix(0x6e756d00);
      // Hash the float64 bit pattern so non-integers and large integers are distinct.
      const view = new DataView(new ArrayBuffer(8));
      view.setFloat64(0, part);
      mix(view.getUint32(0));
      mix(view.getUint32(4));
    } else {
      mix(0x73747200 ^ part.length);
      for (let i = 0; i < part.length; i++) mix(part.charCodeAt(i));
    }
  }
  h1 = fmix32(h1 ^ h4);
  h2 = fmix32(h2 ^ h1);
  h3 = fmix32(h3 ^ h2);
  h4 = fmix32(h4 ^ h3);
  return [h1, h2, h3, h4];
}

/** Where a generator's key comes from: the run seed, the epoch, the sample and the op. */
export interface RngKey {
  readonly seed: number;
  readonly epoch: number;
  readonly sampleId: string;
  readonly opIndex: number;
}

/**
 * A counter-based generator. Draws are reproducible from the key alone; `fork(label)` gives an
 * independent child stream (for nested samplers) without consuming draws from this one.
 */
export class Rng {
  private readonly k: readonly [number, number, number, number];
  private counter = 0;
  private readonly block = new Uint32Array(4);
  private used = 4;
  private spareNormal: number | undefined;

  constructor(key: readonly [number, number, number, number]) {
    this.k = key;
  }

  /** A generator for `(seed, epoch, sampleId, opIndex)`. */
  static forKey(key: RngKey): Rng {
    return new Rng(hash128([key.seed, key.epoch, key.sampleId, key.opIndex]));
  }

  /** A generator from any list of numbers and strings (e.g. `[seed, epoch, 'order']`). */
  static fromParts(parts: readonly (number | string)[]): Rng {
    return new Rng(hash128(parts));
  }

  /** An independent child generator named by `label`. */
  fork(label: number | string): Rng {
    return new Rng(hash128([this.k[0], this.k[1], this.k[2], this.k[3], 'fork', label]));
  }

  /** Next uniform 32-bit unsigned integer. */
  nextU32(): number {
    if (this.used === 4) {
      const c = this.counter++;
      philox(c >>> 0, Math.floor(c / 0x100000000) >>> 0, this.k[2], this.k[3], this.k[0], this.k[1], this.block);
      this.used = 0;
    }
    return this.block[this.used++] as number;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextU32() >>> 5;
    const lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform double in [lo, hi). */
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [lo, hi], both ends included (like Python's `random.randint`). */
  int(lo: number, hi: number): number {
    const span = hi - lo + 1;
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || span <= 0) throw new RangeError(`bad integer range [${lo}, ${hi}]`);
    if (span <= 0x100000000) {
      // Rejection sampling removes modulo bias.
      const limit = 0x100000000 - (0x100000000 % span);
      let x = this.nextU32();
      while (x >= limit) x = this.nextU32();
      return lo + (x % span);
    }
    return lo + Math.floor(this.next() * span);
  }

  /** True with probability `p`. */
  bool(p = 0.5): boolean {
    return this.next() < p;
  }

  /** Normal draw (Box–Muller, the spare value is kept for the next call). */
  normal(mean = 0, std = 1): number {
    let z = this.spareNormal;
    if (z === undefined) {
      let u = this.next();
      while (u === 0) u = this.next();
      const v = this.next();
      const r = Math.sqrt(-2 * Math.log(u));
      z = r * Math.cos(2 * Math.PI * v);
      this.spareNormal = r * Math.sin(2 * Math.PI * v);
    } else {
      this.spareNormal = undefined;
    }
    return mean + std * z;
  }

  /** One element of `items`, uniformly or by `weights`. */
  choice<T>(items: readonly T[], weights?: readonly number[]): T {
    if (items.length === 0) throw new RangeError('choice from an empty list');
    if (weights === undefined) return items[this.int(0, items.length - 1)] as T;
    const total = weights.reduce((a, b) => a + b, 0);
    let x = this.next() * total;
    for (let i = 0; i < items.length; i++) {
      x -= weights[i] ?? 0;
      if (x < 0) return items[i] as T;
    }
    return items[items.length - 1] as T;
  }

  /** A new array with `items` in a uniformly random order (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  }

  /** A random permutation of 0..n-1 as an Int32Array (Fisher–Yates). */
  permutation(n: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(0, i);
      const tmp = out[i] as number;
      out[i] = out[j] as number;
      out[j] = tmp;
    }
    return out;
  }
}
