/**
 * Samples are nested plain objects addressed by dot paths (`'data.input.img'`). Every function
 * here treats its input as immutable: writers return a new sample that shares untouched
 * branches with the old one. Tensors, arrays and typed arrays are leaves.
 */
import { MissingKeyError } from './errors.js';
import { isTensor } from './tensor.js';

/** A sample: a nested record of plain data. */
export type Sample = Record<string, unknown>;

const SPLIT_CACHE_BOUND = 4096;
const splitCache = new Map<string, readonly string[]>();

/** The segments of a dot path (memoised; at most `SPLIT_CACHE_BOUND` paths are kept). */
export function splitPath(path: string): readonly string[] {
  let parts = splitCache.get(path);
  if (parts === undefined) {
    parts = path.split('.');
    if (splitCache.size >= SPLIT_CACHE_BOUND) splitCache.clear();
    splitCache.set(path, parts);
  }
  return parts;
}

/** True for objects the sample API descends into: plain objects that are not tensors. */
export function isBranch(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || ArrayBuffer.isView(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return (proto === Object.prototype || proto === null) && !isTensor(value);
}

const ABSENT = Symbol('absent');

function lookup(sample: Sample, path: string): unknown {
  let node: unknown = sample;
  for (const part of splitPath(path)) {
    if (typeof node !== 'object' || node === null || !Object.prototype.hasOwnProperty.call(node, part)) return ABSENT;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/**
 * The value at `path`.
 * @throws {MissingKeyError} naming the closest existing keys and the sample id.
 */
export function getKey<T = unknown>(sample: Sample, path: string): T {
  const value = lookup(sample, path);
  if (value === ABSENT) throw missingKey(sample, path);
  return value as T;
}

/** The value at `path`, or `fallback` when absent. */
export function getOr<T>(sample: Sample, path: string, fallback: T): T {
  const value = lookup(sample, path);
  return value === ABSENT ? fallback : (value as T);
}

/** True when `path` exists (as a leaf or as a branch). */
export function hasKey(sample: Sample, path: string): boolean {
  return lookup(sample, path) !== ABSENT;
}

/** A new sample with `value` at `path`; intermediate branches are created or copied. */
export function setKey(sample: Sample, path: string, value: unknown): Sample {
  return setAt(sample, splitPath(path), 0, value);
}

function setAt(node: Record<string, unknown>, parts: readonly string[], i: number, value: unknown): Record<string, unknown> {
  const part = parts[i] as string;
  const copy: Record<string, unknown> = { ...node };
  if (i === parts.length - 1) {
    copy[part] = value;
  } else {
    const child = node[part];
    copy[part] = setAt(isBranch(child) ? child : {}, parts, i + 1, value);
  }
  return copy;
}

/** A new sample with several paths set, applied in order. */
export function setKeys(sample: Sample, values: Readonly<Record<string, unknown>>): Sample {
  let out = sample;
  for (const [path, value] of Object.entries(values)) out = setKey(out, path, value);
  return out;
}

/**
 * A new sample without `path` (and everything under it). Branches left empty are removed.
 * @throws {MissingKeyError} when `path` does not exist.
 */
export function deleteKey(sample: Sample, path: string): Sample {
  if (!hasKey(sample, path)) throw missingKey(sample, path);
  return deleteAt(sample, splitPath(path), 0);
}

function deleteAt(node: Record<string, unknown>, parts: readonly string[], i: number): Record<string, unknown> {
  const part = parts[i] as string;
  const copy: Record<string, unknown> = { ...node };
  if (i === parts.length - 1) {
    delete copy[part];
  } else {
    const child = deleteAt(node[part] as Record<string, unknown>, parts, i + 1);
    if (Object.keys(child).length === 0) delete copy[part];
    else copy[part] = child;
  }
  return copy;
}

/** Dot paths of every leaf, depth first in insertion order. */
export function keyPaths(sample: Sample): string[] {
  const out: string[] = [];
  walk(sample, '', (path) => out.push(path));
  return out;
}

function walk(node: Record<string, unknown>, prefix: string, visit: (path: string, value: unknown) => void): void {
  for (const [k, v] of Object.entries(node)) {
    const path = prefix === '' ? k : `${prefix}.${k}`;
    if (isBranch(v) && Object.keys(v).length > 0) walk(v, path, visit);
    else visit(path, v);
  }
}

/** A flat record from leaf path to value. */
export function flatten(sample: Sample): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  walk(sample, '', (path, value) => {
    out[path] = value;
  });
  return out;
}

/** The nested sample described by a flat record of paths (inverse of {@link flatten}). */
export function unflatten(flat: Readonly<Record<string, unknown>>): Sample {
  const out: Sample = {};
  for (const [path, value] of Object.entries(flat)) {
    const parts = splitPath(path);
    let node: Record<string, unknown> = out;
    for (let i = 0; i < parts.length - 1; i++) {
      const part = parts[i] as string;
      const next = node[part];
      if (isBranch(next)) node = next;
      else node = node[part] = {};
    }
    node[parts[parts.length - 1] as string] = value;
  }
  return out;
}

/** Deep merge: branches merge recursively, leaves of `b` win. Neither input is modified. */
export function merge(a: Sample, b: Sample): Sample {
  const out: Sample = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = isBranch(prev) && isBranch(v) ? merge(prev, v) : v;
  }
  return out;
}

/**
 * A new sample holding only `paths` (a branch path brings its whole sub-tree).
 * @throws {MissingKeyError} for a path that does not exist.
 */
export function subset(sample: Sample, paths: readonly string[]): Sample {
  let out: Sample = {};
  for (const path of paths) out = setKey(out, path, getKey(sample, path));
  return out;
}

/** Every path that exists in the sample: leaves and the branches above them. */
export function allPaths(sample: Sample): string[] {
  const seen = new Set<string>();
  for (const leaf of keyPaths(sample)) {
    const parts = leaf.split('.');
    for (let i = 1; i <= parts.length; i++) seen.add(parts.slice(0, i).join('.'));
  }
  return [...seen];
}

/** The `n` existing paths closest to `key` by edit distance (ties: shorter path first). */
export function closestKeys(sample: Sample, key: string, n = 3): string[] {
  return allPaths(sample)
    .map((p) => ({ p, d: editDistance(p, key) }))
    .sort((x, y) => x.d - y.d || x.p.length - y.p.length || (x.p < y.p ? -1 : 1))
    .slice(0, n)
    .map((x) => x.p);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const sub = (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur.push(Math.min(sub, (prev[j] as number) + 1, (cur[j - 1] as number) + 1));
    }
    prev = cur;
  }
  return prev[b.length] as number;
}

function missingKey(sample: Sample, path: string): MissingKeyError {
  const id = lookup(sample, SAMPLE_ID_KEY);
  return new MissingKeyError(path, closestKeys(sample, path), id === ABSENT ? undefined : String(id));
}

/** Reserved path of the sample id. */
export const SAMPLE_ID_KEY = 'data.sampleId';
/** Reserved path of the id the sample had before one→many ops split it. */
export const INITIAL_SAMPLE_ID_KEY = 'data.initialSampleId';

/** A new sample carrying its id (and initial id, defaulting to the id). */
export function createSample(sampleId: string, initialSampleId: string = sampleId): Sample {
  return { data: { sampleId, initialSampleId } };
}

/** The sample's id, or `'<no id>'` when it has none (used in error messages). */
export function sampleIdOf(sample: Sample): string {
  const id = lookup(sample, SAMPLE_ID_KEY);
  return id === ABSENT ? '<no id>' : String(id);
}

/** The sample's initial id (its own id when it was never split). */
export function initialSampleIdOf(sample: Sample): string {
  const id = lookup(sample, INITIAL_SAMPLE_ID_KEY);
  return id === ABSENT ? sampleIdOf(sample) : String(id);
}
