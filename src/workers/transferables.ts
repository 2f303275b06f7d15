/**
 * Finding the buffers a structured-clone message may move (transfer) instead of copying.
 */

/** Calls `fn` with every typed array or DataView inside `value` (plain objects, arrays, Maps, Sets). */
function eachView(value: unknown, fn: (view: ArrayBufferView) => void): void {
  const seen = new Set<object>();
  const visit = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (ArrayBuffer.isView(v)) fn(v);
    else if (v instanceof ArrayBuffer || v instanceof SharedArrayBuffer) return;
    else if (v instanceof Map) {
      for (const [k, x] of v) {
        visit(k);
        visit(x);
      }
    } else if (v instanceof Set) for (const x of v) visit(x);
    else for (const x of Object.values(v)) visit(x);
  };
  visit(value);
}

/**
 * The distinct, non-empty, non-shared ArrayBuffers that typed arrays (and DataViews) inside
 * `value` cover whole, minus those in `keep` (buffers the sender still needs, e.g. configuration
 * shared with objects it keeps). A view over part of a larger buffer is left to be copied: moving
 * it would take the rest of the buffer with it.
 */
export function transferablesOf(value: unknown, keep: ReadonlySet<ArrayBufferLike> = new Set()): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  eachView(value, (v) => {
    const buffer = v.buffer;
    if (buffer instanceof ArrayBuffer && buffer.byteLength > 0 && v.byteOffset === 0 && v.byteLength === buffer.byteLength && !keep.has(buffer)) out.add(buffer);
  });
  return [...out];
}

/** Every buffer that typed arrays inside `value` use, whole or in part. */
export function buffersOf(value: unknown): Set<ArrayBufferLike> {
  const out = new Set<ArrayBufferLike>();
  eachView(value, (v) => out.add(v.buffer));
  return out;
}
