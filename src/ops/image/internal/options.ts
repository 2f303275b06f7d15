/**
 * Option checks shared by the image ops. Each throws an {@link OptionsError} naming the op and the
 * field, so a bad pipeline fails when it is built, not when the first sample arrives.
 */
import { OptionsError, TypeMismatchError } from '../../../core/errors.js';

/** How a spatial op samples a key: `linear` (bi/trilinear) for images, `nearest` for label maps. */
export type Interpolation = 'linear' | 'nearest';

/** A scalar applied to every axis, or one value per spatial axis in (x, y, z) order. */
export type PerAxis = number | readonly number[];

function fail(op: string, field: string, must: string, value: unknown): never {
  throw new OptionsError(`op '${op}': option '${field}' must be ${must}, got ${JSON.stringify(value)}`);
}

/** Throws unless `keys` is a non-empty list of distinct non-empty key paths. */
export function checkKeyList(op: string, field: string, keys: unknown): void {
  if (!Array.isArray(keys) || keys.length === 0 || keys.some((k) => typeof k !== 'string' || k.length === 0)) {
    fail(op, field, 'a non-empty list of key paths', keys);
  }
  if (new Set(keys).size !== keys.length) fail(op, field, 'a list without repeated keys', keys);
}

/**
 * The first of `keys`, whose image gives a multi-key op its geometry. {@link checkKeyList} refuses
 * an empty list when the op is built, so this throws only for options that skipped validation.
 * @throws {OptionsError} when `keys` is empty.
 */
export function firstKey(op: string, keys: readonly string[]): string {
  const key = keys[0];
  if (key === undefined) fail(op, 'keys', 'a non-empty list of key paths', keys);
  return key;
}

/** Throws unless `key` is a non-empty key path. */
export function checkKeyPath(op: string, field: string, key: unknown): void {
  if (typeof key !== 'string' || key.length === 0) fail(op, field, 'a non-empty key path', key);
}

/** Throws unless `value` is a finite number within the bounds. */
export function checkNum(op: string, field: string, value: unknown, bounds: { min?: number; max?: number; integer?: boolean; above?: number } = {}): void {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (bounds.integer !== true || Number.isInteger(value)) &&
    (bounds.min === undefined || value >= bounds.min) &&
    (bounds.above === undefined || value > bounds.above) &&
    (bounds.max === undefined || value <= bounds.max);
  if (!ok) {
    const parts = [bounds.integer === true ? 'an integer' : 'a finite number'];
    if (bounds.min !== undefined) parts.push(`>= ${bounds.min}`);
    if (bounds.above !== undefined) parts.push(`> ${bounds.above}`);
    if (bounds.max !== undefined) parts.push(`<= ${bounds.max}`);
    fail(op, field, parts.join(' '), value);
  }
}

/** Throws unless `value` is a probability in [0, 1] (or absent). */
export function checkProb(op: string, value: unknown): void {
  if (value !== undefined) checkNum(op, 'prob', value, { min: 0, max: 1 });
}

/** How often a random op applies when `prob` is not given (MONAI's default for its `Rand*` transforms). */
export const DEFAULT_PROB = 0.1;

/** Throws unless `o.keys` is a list of distinct key paths and `o.prob` a probability (or absent): every random op's options. */
export function checkRandomKeys(op: string, o: { readonly keys: unknown; readonly prob?: unknown }): void {
  checkKeyList(op, 'keys', o.keys);
  checkProb(op, o.prob);
}

/** Throws unless `value` is a number or a list of 2 or 3 numbers meeting the bounds. */
export function checkPerAxis(op: string, field: string, value: unknown, bounds: { min?: number; above?: number; integer?: boolean } = {}): void {
  if (Array.isArray(value)) {
    if (value.length < 1 || value.length > 3) fail(op, field, 'a number or a list of 1 to 3 numbers (x, y, z)', value);
    value.forEach((v, i) => checkNum(op, `${field}[${i}]`, v, bounds));
  } else {
    checkNum(op, field, value, bounds);
  }
}

/** Throws unless `value` is a `[lo, hi]` pair with lo <= hi (within the bounds). */
export function checkRangePair(op: string, field: string, value: unknown, bounds: { min?: number; above?: number } = {}): void {
  if (!Array.isArray(value) || value.length !== 2) fail(op, field, 'a [lo, hi] pair', value);
  checkNum(op, `${field}[0]`, value[0], bounds);
  checkNum(op, `${field}[1]`, value[1], bounds);
  if ((value[0] as number) > (value[1] as number)) fail(op, field, 'a [lo, hi] pair with lo <= hi', value);
}

/** Throws unless `value` is a number r >= 0 (the range `[-r, r]`) or a `[lo, hi]` pair with lo <= hi. */
export function checkSymmetricRange(op: string, field: string, value: unknown): void {
  if (typeof value === 'number') checkNum(op, field, value, { min: 0 });
  else checkRangePair(op, field, value);
}

/** The `[lo, hi]` range of a number r (`[-r, r]`) or of a pair (itself). */
export function rangeOf(value: number | readonly [number, number]): readonly [number, number] {
  return typeof value === 'number' ? [-value, value] : value;
}

/** Throws unless `padding` is `'constant'` or `'border'` and `padValue` a finite number (each or absent). */
export function checkPadding(op: string, padding: unknown, padValue: unknown): void {
  if (padding !== undefined && padding !== 'constant' && padding !== 'border') throw new OptionsError(`op '${op}': option 'padding' must be 'constant' or 'border'`);
  if (padValue !== undefined) checkNum(op, 'padValue', padValue);
}

/** Throws unless `value` is an interpolation or a list of them, one per key. */
export function checkInterpolation(op: string, value: unknown, keyCount: number): void {
  if (value === undefined) return;
  const ok = (v: unknown): boolean => v === 'linear' || v === 'nearest';
  if (Array.isArray(value)) {
    if (value.length !== keyCount || !value.every(ok)) fail(op, 'interpolation', `'linear' | 'nearest' or a list of them, one per key (${keyCount})`, value);
  } else if (!ok(value)) {
    fail(op, 'interpolation', "'linear' or 'nearest'", value);
  }
}

/** The interpolation of the `i`-th key (default `'linear'`). */
export function interpolationAt(value: Interpolation | readonly Interpolation[] | undefined, i: number): Interpolation {
  if (value === undefined) return 'linear';
  if (typeof value === 'string') return value;
  return value[i] ?? 'linear';
}

/**
 * `value` spread over `dimension` axes.
 * @throws {TypeMismatchError} when a list does not have one entry per axis of the image.
 */
export function perAxis(value: PerAxis, dimension: number, field: string): number[] {
  if (typeof value === 'number') return new Array<number>(dimension).fill(value);
  if (value.length !== dimension) {
    throw new TypeMismatchError(`option '${field}' has ${value.length} entries but the image has ${dimension} spatial axes`);
  }
  return [...value];
}
