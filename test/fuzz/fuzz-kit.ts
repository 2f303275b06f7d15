/**
 * Shared pieces of the fuzz suite (test/fuzz): a fixed seed, a run count that is small under
 * `npm test` (seconds) and large under `npm run fuzz` (FUZZ_LONG=1), damage generators (truncation,
 * byte flips) and the one property every case checks: a call on damaged input either returns the
 * exact answer of the undamaged input or throws an `InputError` naming the file — never a crash, a
 * hang, a partial answer or another error type.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { FuseflowError, InputError } from '../../src/core/errors.js';

/** Seed of every fuzz property (override with FUZZ_SEED to explore). */
export const FUZZ_SEED = Number(process.env['FUZZ_SEED'] ?? 20261203);

/** Number of cases: `quick` under `npm test`, 25× that under `npm run fuzz`. */
export function fuzzRuns(quick: number): number {
  return process.env['FUZZ_LONG'] === '1' ? quick * 25 : quick;
}

/** fast-check parameters for a fuzz property with `quick` cases. */
export function fuzzParams(quick: number): fc.Parameters<unknown> {
  return { numRuns: fuzzRuns(quick), seed: FUZZ_SEED, endOnFailure: true };
}

/** One damage applied to a file's bytes. */
export type Damage = { readonly kind: 'truncate'; readonly at: number } | { readonly kind: 'flip'; readonly at: number; readonly bit: number };

/** Damage arbitrary for a file of `length` bytes: cut at any offset, or one flipped bit anywhere. */
export function damageOf(length: number): fc.Arbitrary<Damage> {
  return fc.oneof(
    fc.integer({ min: 0, max: Math.max(0, length - 1) }).map((at): Damage => ({ kind: 'truncate', at })),
    fc.record({ at: fc.integer({ min: 0, max: Math.max(0, length - 1) }), bit: fc.integer({ min: 0, max: 7 }) }).map((d): Damage => ({ kind: 'flip', ...d })),
  );
}

/** Applies `d` to a copy of `bytes` (a real copy: `Buffer#slice` would return a view). */
export function applyDamage(bytes: Uint8Array, d: Damage): Uint8Array {
  if (d.kind === 'truncate') return Uint8Array.prototype.slice.call(bytes, 0, d.at);
  const out = Uint8Array.prototype.slice.call(bytes);
  out[d.at] = (out[d.at] ?? 0) ^ (1 << d.bit);
  return out;
}

/** Counts the outcomes of a fuzz property so the suite can report them. */
export class FuzzTally {
  exact = 0;
  refused = 0;
  constructor(readonly name: string) {}
  /** Prints `name: N cases (E exact, R InputError)`. */
  report(): void {
    console.log(`fuzz ${this.name}: ${this.exact + this.refused} cases (${this.exact} exact answers, ${this.refused} InputErrors naming the file)`);
  }
}

/**
 * Runs `call` on damaged input: it must return a value equal to `expected`, or throw an
 * `InputError` (or another `FuseflowError` subclass listed in `allowed`) whose message names `file`.
 */
export async function exactOrInputError<T>(
  tally: FuzzTally,
  file: string,
  expected: T,
  call: () => T | Promise<T>,
  allowed: readonly (new (...args: never[]) => FuseflowError)[] = [InputError],
): Promise<void> {
  let got: T;
  try {
    got = await call();
  } catch (err) {
    const ok = allowed.some((c) => err instanceof c);
    if (!ok) throw new Error(`expected an InputError naming ${file}, got: ${err instanceof Error ? `${err.name}: ${err.message}\n${err.stack}` : String(err)}`, { cause: err });
    expect((err as Error).message).toContain(file);
    tally.refused++;
    return;
  }
  expect(got).toEqual(expected);
  tally.exact++;
}
