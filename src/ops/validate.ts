/**
 * Option checks shared by op factories: each throws an {@link OptionsError} naming the op and
 * the field, so a bad pipeline fails when it is built.
 */
import { OptionsError } from '../core/errors.js';

/** Throws unless `value` is a non-empty string. */
export function checkKey(op: string, field: string, value: unknown): void {
  if (typeof value !== 'string' || value.length === 0) {
    throw new OptionsError(`op '${op}': option '${field}' must be a non-empty key path, got ${JSON.stringify(value)}`);
  }
}

/** Throws unless `value` is a non-empty array of non-empty strings. */
export function checkKeys(op: string, field: string, value: unknown): void {
  if (!Array.isArray(value) || value.length === 0 || value.some((k) => typeof k !== 'string' || k.length === 0)) {
    throw new OptionsError(`op '${op}': option '${field}' must be a non-empty list of key paths, got ${JSON.stringify(value)}`);
  }
}

/** Throws unless `value` is a finite number (and, when given, within [min, max]). */
export function checkNumber(op: string, field: string, value: unknown, range: { min?: number; max?: number; integer?: boolean } = {}): void {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (range.integer !== true || Number.isInteger(value)) &&
    (range.min === undefined || value >= range.min) &&
    (range.max === undefined || value <= range.max);
  if (!ok) {
    const bounds = [range.integer === true ? 'an integer' : 'a finite number', range.min === undefined ? '' : `>= ${range.min}`, range.max === undefined ? '' : `<= ${range.max}`]
      .filter((x) => x !== '')
      .join(' ');
    throw new OptionsError(`op '${op}': option '${field}' must be ${bounds}, got ${JSON.stringify(value)}`);
  }
}

/** Throws unless `value` is one of `allowed`. */
export function checkOneOf<T>(op: string, field: string, value: unknown, allowed: readonly T[]): void {
  if (!allowed.includes(value as T)) {
    throw new OptionsError(`op '${op}': option '${field}' must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${JSON.stringify(value)}`);
  }
}

/** `keys` as a list whether the option was one key or several. */
export function asKeyList(value: string | readonly string[]): readonly string[] {
  return typeof value === 'string' ? [value] : value;
}
