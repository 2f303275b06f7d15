/**
 * Canonical fingerprints: a SHA-256 over a canonical encoding of plain data, stable across key
 * order, runs and machines. Typed arrays hash by dtype and bytes; functions by their source.
 */
import { createHash } from 'node:crypto';
import { dtypeOf, type TypedArray } from './tensor.js';

/** A canonical string for `value`: object keys sorted, numbers in shortest round-trip form. */
export function canonicalize(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'number':
      return Number.isNaN(value) ? 'NaN' : Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return `${value}n`;
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'function':
      return `fn:${JSON.stringify(value.toString())}`;
    case 'symbol':
      return `sym:${String(value.description)}`;
    default:
      break;
  }
  if (ArrayBuffer.isView(value)) {
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    return `${dtypeOf(value as TypedArray)}:${createHash('sha256').update(bytes).digest('hex')}`;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalize).join(',')}]`;
  if (value instanceof Map) {
    return `map{${[...value.entries()]
      .map(([k, v]) => `${canonicalize(k)}:${canonicalize(v)}`)
      .sort()
      .join(',')}}`;
  }
  if (value instanceof Set) return `set{${[...value].map(canonicalize).sort().join(',')}}`;
  if (value instanceof RegExp) return `re:${value.toString()}`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalize(obj[k])}`).join(',')}}`;
}

/** Hex SHA-256 of the canonical form of `value`. */
export function fingerprint(value: unknown): string {
  return createHash('sha256').update(canonicalize(value)).digest('hex');
}
