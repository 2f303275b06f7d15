/**
 * Column access shared by the metrics: read a column of a batch by key, check lengths, turn
 * targets into class indices and scores into finite numbers, with errors that name the metric,
 * the key and the row.
 */
import { closestText } from '../../core/closest-names.js';
import type { EvalBatch } from '../metric.js';
import { MetricInputError } from '../metric-input-error.js';
import { OptionsError } from '../../core/errors.js';

/** A value as message text: primitives as `String` gives them, objects as JSON. */
function shown(v: unknown): string {
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
}

/** Reads column `key` of `batch`; throws when it is absent. */
export function column(batch: EvalBatch, key: string, metric: string): ArrayLike<unknown> {
  const col = batch[key];
  if (col === undefined) {
    throw new MetricInputError(metric, `column is missing; ${closestText(Object.keys(batch), key)}`, { key });
  }
  return col;
}

/** Number of rows of a batch given the keys a metric reads (all must have the same length). */
export function rowCount(batch: EvalBatch, keys: readonly string[], metric: string): number {
  let n = -1;
  let first = '';
  for (const k of keys) {
    const len = column(batch, k, metric).length;
    if (n < 0) {
      n = len;
      first = k;
    } else if (len !== n) {
      throw new MetricInputError(metric, `column has ${len} rows but '${first}' has ${n}`, { key: k });
    }
  }
  return Math.max(n, 0);
}

/** A label value as the metrics accept it. */
export type Label = string | number | boolean | bigint;

/** Canonical string of a label, so `1`, `'1'`, `1n` and `true` compare equal. */
export function labelKey(v: unknown): string | undefined {
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : undefined;
  if (typeof v === 'bigint') return String(v);
  if (typeof v === 'string') return v.trim();
  return undefined;
}

/** Where the row sits, for error messages: row index and (when an id column exists) its id. */
export function rowWhere(batch: EvalBatch, row: number, key: string, idKey: string | undefined): { key: string; row: number; sampleId?: string } {
  if (idKey !== undefined) {
    const ids = batch[idKey];
    const id = ids === undefined ? undefined : ids[row];
    if (id !== undefined && id !== null) return { key, row, sampleId: shown(id) };
  }
  return { key, row };
}

/** The range of integer targets whose class index {@link ClassIndex.indexOf} remembers. */
const SMALL_MIN = -128;
const SMALL_MAX = 1023;

/**
 * Maps target values to class indices. With `classNames` the class set is the names (a target
 * may be the name or its index); without, the binary set {0, 1} (numbers, booleans, '0'/'1').
 */
export class ClassIndex {
  readonly classNames: readonly string[];
  private readonly byKey = new Map<string, number>();

  constructor(classNames: readonly Label[] | undefined, metric: string) {
    const names = classNames === undefined ? ['0', '1'] : classNames.map((c) => labelKey(c) ?? '');
    if (names.length < 2) throw new OptionsError(`${metric}: classNames needs at least two classes`);
    if (new Set(names).size !== names.length) throw new OptionsError(`${metric}: classNames has duplicates: ${names.join(', ')}`);
    this.classNames = names;
    names.forEach((n, i) => this.byKey.set(n, i));
    // A target may also be given as the class index.
    names.forEach((_, i) => {
      if (!this.byKey.has(String(i))) this.byKey.set(String(i), i);
    });
  }

  /**
   * Answers for the integers SMALL_MIN..SMALL_MAX, filled as they are first asked (-2: not yet):
   * a target column of small integers (the common case) then costs an array read a row instead of
   * a string conversion and a map lookup; the answer is the one `labelKey` and the map give.
   */
  private readonly small = new Int32Array(SMALL_MAX - SMALL_MIN + 1).fill(-2);

  /** Class index of a target value, or -1 when it is outside the class set. */
  indexOf(v: unknown): number {
    if (typeof v === 'number' && v >= SMALL_MIN && v <= SMALL_MAX && Math.trunc(v) === v) {
      const slot = v - SMALL_MIN;
      const known = this.small[slot] as number;
      if (known !== -2) return known;
      const found = this.lookUp(v);
      this.small[slot] = found;
      return found;
    }
    return this.lookUp(v);
  }

  private lookUp(v: unknown): number {
    const k = labelKey(v);
    if (k === undefined) return -1;
    return this.byKey.get(k) ?? -1;
  }
}

/** Throws the standard "target outside the class set" error. */
export function badTarget(metric: string, value: unknown, classNames: readonly string[], where: { key: string; row: number; sampleId?: string }): never {
  throw new MetricInputError(metric, `target ${JSON.stringify(value)} is outside the class set [${classNames.join(', ')}]`, where);
}

/** Throws the standard "non-finite score" error. */
export function badScore(metric: string, value: unknown, where: { key: string; row: number; sampleId?: string }): never {
  throw new MetricInputError(metric, `score ${String(value)} is not a finite number (policy nonFinite: 'error'; use 'skip' to drop and count such rows)`, where);
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Reads a score as a number: numbers, bigints and strings in plain decimal notation (`0.25`,
 * `-1e-3`); any other string (`0x10`, `1e`, `Infinity`, blank) is NaN, which the metrics'
 * `nonFinite` policy then refuses (naming the value) or skips.
 */
export function toScore(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') return DECIMAL.test(v.trim()) ? Number(v) : Number.NaN;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return Number.NaN;
}

/** What to do with a row whose score is NaN or infinite. */
export type NonFinitePolicy = 'error' | 'skip';

/** Validates a `nonFinite` option. */
export function checkNonFinite(metric: string, v: unknown): NonFinitePolicy {
  if (v === undefined) return 'error';
  if (v !== 'error' && v !== 'skip') throw new OptionsError(`${metric}: nonFinite must be 'error' or 'skip', got ${shown(v)}`);
  return v;
}

/** Validates a column key option. */
export function checkKey(metric: string, name: string, v: unknown): string {
  if (typeof v !== 'string' || v === '') throw new OptionsError(`${metric}: option '${name}' must be a non-empty column key, got ${JSON.stringify(v)}`);
  return v;
}

/** Validates a threshold option (default 0.5). */
export function checkThreshold(metric: string, v: unknown): number {
  if (v === undefined) return 0.5;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new OptionsError(`${metric}: threshold must be a finite number, got ${shown(v)}`);
  return v;
}
