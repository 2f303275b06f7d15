/**
 * Metric states between threads. Structured cloning keeps plain objects, arrays, Maps, Sets and
 * typed arrays but drops class prototypes, so instances of the classes metric states hold (the
 * exact float sums, {@link ExactSum}) are tagged with their class name before a state is posted
 * and get their prototype back on arrival. A state holding an instance of any other class is
 * refused with a message naming the class, rather than arriving as a broken plain object.
 */
import { FuseflowError } from '../../core/errors.js';
import { ExactSum } from '../stats/exact-sum.js';
import { KEPT } from '../metrics/histogram-kept.js';

/** Classes whose instances may appear in metric states, by name. Their fields must be plain data. */
const REVIVABLE: Readonly<Record<string, { readonly prototype: object }>> = { ExactSum };
const TAG = '__fuseflowClass';
/** Carries a score histogram's kept rows (under a symbol, which cloning skips) for the trip; histogram-kept.ts. */
const KEPT_TAG = '__fuseflowKept';
const PLAIN: ReadonlySet<unknown> = new Set([Object.prototype, Array.prototype, Map.prototype, Set.prototype, Date.prototype, RegExp.prototype, null]);

/** Calls `fn` on every object inside `value` that is not a typed array or buffer (plain objects, arrays, Map and Set contents included). */
function eachObject(value: unknown, fn: (o: object) => void): void {
  const seen = new Set<object>();
  const visit = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || seen.has(v) || ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof SharedArrayBuffer) return;
    seen.add(v);
    fn(v);
    if (v instanceof Map) {
      for (const [k, x] of v) {
        visit(k);
        visit(x);
      }
    } else if (v instanceof Set) for (const x of v) visit(x);
    else if (Array.isArray(v)) {
      for (const x of v) if (typeof x === 'object') visit(x);
    } else for (const x of Object.values(v)) visit(x);
  };
  visit(value);
}

/**
 * Tags the class instances inside `state` for posting and returns a function that removes the
 * tags again (call it once the message is posted). With `keptRows` (a trip to another thread of
 * this process) a score histogram's kept rows travel too (histogram-kept.ts: shared memory, no
 * copy); without it (a state file, a copy) they stay behind — they are this process's only.
 * @throws FuseflowError when the state holds an instance of a class that cannot be revived.
 */
export function tagClasses(state: unknown, metric: string, options: { readonly keptRows?: boolean } = {}): () => void {
  const tagged: object[] = [];
  eachObject(state, (o) => {
    const proto: unknown = Object.getPrototypeOf(o);
    if (options.keptRows === true && KEPT in o) {
      (o as Record<string, unknown>)[KEPT_TAG] = (o as { [KEPT]?: unknown })[KEPT];
      tagged.push(o);
    }
    if (PLAIN.has(proto)) return;
    const name = (o as { constructor?: { name?: string } }).constructor?.name ?? '';
    if (REVIVABLE[name]?.prototype !== proto) {
      throw new FuseflowError(
        `metric '${metric}': its state holds a ${name || 'class'} instance, which cannot be sent to another thread; evaluate it in one thread (threads: 1) or keep its state plain data`,
      );
    }
    (o as Record<string, unknown>)[TAG] = name;
    tagged.push(o);
  });
  return () => {
    for (const o of tagged) {
      delete (o as Record<string, unknown>)[TAG];
      delete (o as Record<string, unknown>)[KEPT_TAG];
    }
  };
}

/** Restores the prototypes of the tagged class instances inside a state that arrived from another thread. */
export function reviveClasses<T>(state: T): T {
  eachObject(state, (o) => {
    const kept = (o as Record<string, unknown>)[KEPT_TAG];
    if (kept !== undefined) {
      delete (o as Record<string, unknown>)[KEPT_TAG];
      (o as { [KEPT]?: unknown })[KEPT] = kept;
    }
    const name = (o as Record<string, unknown>)[TAG];
    if (typeof name !== 'string') return;
    const cls = REVIVABLE[name];
    if (cls === undefined) return;
    delete (o as Record<string, unknown>)[TAG];
    Object.setPrototypeOf(o, cls.prototype);
  });
  return state;
}
