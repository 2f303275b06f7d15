/**
 * A seeded permutation of the row indices `[0, n)` that is computed, not stored: position `i`
 * maps to row `at(i)` in constant time and memory, so an epoch over 10^8 ids needs no 10^8-entry
 * array. Above {@link LISTED_PERMUTATION_MAX} rows the permutation is a keyed Feistel network over
 * the smallest domain of `2^(2h) ≥ n` values (two `h`-bit halves), made to fit `[0, n)` by cycle
 * walking; up to it, the Fisher–Yates table `epochOrder` draws for a `string[]` (so a small id
 * column streams in exactly the order its ids would as a `string[]`).
 *
 * Construction: 8 balanced Feistel rounds `(L, R) → (R, L xor F_k(R))` whose round function
 * `F_k` is the MurmurHash3 32-bit finalizer of `R xor k` keyed again after the first mix, with
 * eight 32-bit round keys drawn from `Rng.fromParts([seed, epoch, 'order', 'feistel'])`.
 * Every Feistel network is a bijection of its domain whatever `F` is; four rounds of a
 * pseudo-random `F` already give a pseudo-random permutation (Luby and Rackoff, 1988), eight
 * leave a margin. Cycle walking (Black and Rogaway, 2002) applies the network again while the
 * value lies in `[n, 2^(2h))`: the restriction of a bijection to the cycle structure gives a
 * bijection of `[0, n)`. The domain is below `4n`, so a lookup walks fewer than 4 steps on
 * average. Like every cipher-based shuffle it does not reach all `n!` orders with exactly equal
 * probability (it yields only even permutations of its domain, and over 5 or 6 rows the induced
 * orders are measurably uneven — hence the listed table for small `n`); the position of a row
 * and of pairs of rows are uniform to chi-square tests at every size (see the tests).
 */
import { OptionsError } from '../core/errors.js';
import { Rng } from '../core/rng.js';

/** Rows the permutation can index: `2^52` keeps every intermediate value an exact double. */
export const MAX_PERMUTATION_LENGTH = 2 ** 52;
const ROUNDS = 8;
/**
 * Up to this many rows the permutation is a listed Fisher–Yates table (at most 256 KiB): exactly
 * uniform over all orders, and the same order `epochOrder` gives a `string[]` of that length.
 */
export const LISTED_PERMUTATION_MAX = 65_536;

/** A bijection of `[0, length)`. */
export interface IndexPermutation {
  readonly length: number;
  /**
   * The row at position `i` (`0 ≤ i < length`).
   * @throws {RangeError} for a position outside `[0, length)`.
   */
  at(i: number): number;
}

/** Options of {@link indexPermutation}. */
export interface IndexPermutationOptions {
  readonly seed: number;
  readonly epoch: number;
  /** Permute the rows; `false` gives the identity (rows in file order). Default true. */
  readonly shuffle?: boolean;
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The epoch's permutation of the rows `[0, n)`, a pure function of `(n, seed, epoch)`: every rank
 * computes the same one without talking to the others, and a resumed run sees it again.
 * @example
 * const p = indexPermutation(100_000_000, { seed: 1, epoch: 0 });
 * p.at(0); // the row read first this epoch, on every machine
 * @throws {OptionsError} when `n` is not an integer in `[0, 2^52]`.
 */
export function indexPermutation(n: number, options: IndexPermutationOptions): IndexPermutation {
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_PERMUTATION_LENGTH) {
    throw new OptionsError(`indexPermutation: length must be an integer in [0, 2^52], got ${String(n)}`);
  }
  const check = (i: number): void => {
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`permutation position ${String(i)} is outside [0, ${n})`);
  };
  if (options.shuffle === false || n <= 1) {
    return {
      length: n,
      at: (i) => {
        check(i);
        return i;
      },
    };
  }
  if (n <= LISTED_PERMUTATION_MAX) {
    const table = Rng.fromParts([options.seed, options.epoch, 'order']).permutation(n);
    return {
      length: n,
      at: (i) => {
        check(i);
        return table[i] as number;
      },
    };
  }
  return feistelPermutation(n, Rng.fromParts([options.seed, options.epoch, 'order', 'feistel']));
}

/**
 * The Feistel permutation of `[0, n)` (`n ≥ 2`) keyed by 16 draws of `rng`; see the file's comment.
 * Exported for tests; datasets reach it through {@link indexPermutation}.
 * @example
 * feistelPermutation(1000, Rng.fromParts([1, 0, 'order', 'feistel'])).at(0);
 */
export function feistelPermutation(n: number, rng: Rng): IndexPermutation {
  if (!Number.isSafeInteger(n) || n < 2 || n > MAX_PERMUTATION_LENGTH) throw new OptionsError(`feistelPermutation: length must be an integer in [2, 2^52], got ${String(n)}`);
  let half = 1;
  while (2 ** (2 * half) < n) half++;
  const size = 2 ** half;
  const mask = size - 1;
  const keys = new Uint32Array(2 * ROUNDS);
  for (let k = 0; k < keys.length; k++) keys[k] = rng.nextU32();

  const encrypt = (x: number): number => {
    let left = Math.floor(x / size);
    let right = x - left * size;
    for (let r = 0; r < ROUNDS; r++) {
      const f = fmix32(fmix32(right ^ (keys[2 * r] as number)) ^ (keys[2 * r + 1] as number)) & mask;
      const next = (left ^ f) >>> 0;
      left = right;
      right = next;
    }
    return left * size + right;
  };
  return {
    length: n,
    at: (i) => {
      if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`permutation position ${String(i)} is outside [0, ${n})`);
      let x = encrypt(i);
      while (x >= n) x = encrypt(x);
      return x;
    },
  };
}
