/**
 * numpy's legacy `RandomState` stream (MT19937 seeded by `init_genrand`), enough of it to
 * reproduce FuseMedML's bootstrap resampling bit for bit: `randint` (masked rejection sampling
 * on 32-bit draws), `rand` (53-bit doubles) and `randn` (polar Box–Muller with a cached value).
 * Only the FuseMedML-compatible paths use it; fuseflow's own randomness is the counter-based `Rng`.
 */
export class NumpyRandomState {
  private readonly mt = new Uint32Array(624);
  private index = 624;
  private gaussCache: number | undefined;

  /** `np.random.RandomState(seed)` for an integer seed in [0, 2^32). */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`seed must be an integer in [0, 2^32), got ${seed}`);
    const mt = this.mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = mt[i - 1] as number;
      const x = (prev ^ (prev >>> 30)) >>> 0;
      // 1812433253 * x + i modulo 2^32, in two 16-bit halves to stay exact.
      mt[i] = ((((x & 0xffff0000) >>> 16) * 1812433253) << 16) + (x & 0x0000ffff) * 1812433253 + i;
    }
  }

  private twist(): void {
    const mt = this.mt;
    for (let i = 0; i < 624; i++) {
      const y = ((mt[i] as number) & 0x80000000) | ((mt[(i + 1) % 624] as number) & 0x7fffffff);
      let v = (mt[(i + 397) % 624] as number) ^ (y >>> 1);
      if (y & 1) v ^= 0x9908b0df;
      mt[i] = v;
    }
    this.index = 0;
  }

  /** Next 32-bit draw (genrand_int32). */
  nextU32(): number {
    if (this.index >= 624) this.twist();
    let y = this.mt[this.index++] as number;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** `rand()`: a double in [0, 1) from two draws. */
  random(): number {
    const a = this.nextU32() >>> 5;
    const b = this.nextU32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** `randint(low, high, size)` for ranges below 2^32 (numpy's default int64 dtype path). */
  randint(low: number, high: number, size: number): Int32Array {
    const out = new Int32Array(size);
    const rng = high - low - 1;
    if (rng < 0 || rng > 0xfffffffe) throw new RangeError(`randint range [${low}, ${high}) not supported`);
    if (rng === 0) return out.fill(low);
    let mask = rng;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    for (let i = 0; i < size; i++) {
      let v: number;
      do v = (this.nextU32() & mask) >>> 0;
      while (v > rng);
      out[i] = low + v;
    }
    return out;
  }

  /** `randn()`: one standard normal draw (legacy polar method). */
  gauss(): number {
    if (this.gaussCache !== undefined) {
      const g = this.gaussCache;
      this.gaussCache = undefined;
      return g;
    }
    let x1: number;
    let x2: number;
    let r2: number;
    do {
      x1 = 2 * this.random() - 1;
      x2 = 2 * this.random() - 1;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1 || r2 === 0);
    const f = Math.sqrt((-2 * Math.log(r2)) / r2);
    this.gaussCache = f * x1;
    return f * x2;
  }
}
