/**
 * Samples are plain data: numbers, strings, booleans, bigints, `null`/`undefined`, arrays, plain
 * objects, typed arrays and array buffers. That is what crosses worker threads, hashes into
 * fingerprints and goes into the cache. A function or a class instance (a `Map`, a `Date`, an
 * object with its own prototype) would fail later, far from the op that made it — a clone error
 * blamed on another sample, a cache entry that does not decode — so the pipeline checks each
 * op's output here and names the op, the sample and the key.
 *
 * Objects already found plain are remembered (weakly): ops return new samples that share their
 * untouched branches, so a check walks only what the op changed.
 */

/** Where a value that is not plain data sits, and what it is. */
export interface NonPlain {
  /** Dot path from the checked value (`''` for the value itself). */
  readonly path: string;
  /** `'a function'`, `'a symbol'`, `'a Map'`, … */
  readonly what: string;
}

const plain = new WeakSet<object>();

function describe(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  const proto: unknown = Object.getPrototypeOf(value);
  const ctor = typeof proto === 'object' && proto !== null ? (proto as { constructor?: { name?: unknown } }).constructor : undefined;
  const name = typeof ctor?.name === 'string' && ctor.name !== '' ? ctor.name : 'object of an unknown class';
  return `a ${name}`;
}

/**
 * The first value inside `value` that is not plain sample data, or `undefined` when all is.
 * @example findNonPlain({ a: { f: () => 1 } }) // { path: 'a.f', what: 'a function' }
 */
export function findNonPlain(value: unknown): NonPlain | undefined {
  return walk(value, '');
}

function walk(value: unknown, path: string): NonPlain | undefined {
  if (typeof value === 'function' || typeof value === 'symbol') return { path, what: describe(value) };
  if (typeof value !== 'object' || value === null) return undefined;
  if (plain.has(value)) return undefined;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) return undefined;
  const proto: unknown = Object.getPrototypeOf(value);
  const isArray = Array.isArray(value);
  if (!isArray && proto !== Object.prototype && proto !== null) return { path, what: describe(value) };
  plain.add(value); // before descending: a cycle ends here
  const found = isArray ? walkArray(value as readonly unknown[], path) : walkObject(value as Record<string, unknown>, path);
  if (found !== undefined) plain.delete(value);
  return found;
}

function walkArray(items: readonly unknown[], path: string): NonPlain | undefined {
  for (let i = 0; i < items.length; i++) {
    const x = items[i];
    if (typeof x === 'number' || typeof x === 'string' || typeof x === 'boolean') continue;
    const found = walk(x, path === '' ? String(i) : `${path}.${i}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

function walkObject(record: Record<string, unknown>, path: string): NonPlain | undefined {
  for (const k of Object.keys(record)) {
    const found = walk(record[k], path === '' ? k : `${path}.${k}`);
    if (found !== undefined) return found;
  }
  return undefined;
}
