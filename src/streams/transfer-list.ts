/**
 * Preparing samples to cross a thread boundary without copying their typed arrays: the arrays'
 * buffers go in the transfer list (moved, so the sender's arrays become detached, length 0).
 * Arrays held by a frozen object or array — read-only values such as the cache's — are not
 * ours to detach, so those are copied first (copy-on-send) and the copy is moved.
 */
import type { Sample } from '../core/sample.js';

/** Samples rebuilt for sending and the buffers to move. */
export interface Outgoing<T> {
  readonly value: T;
  readonly transfer: ArrayBuffer[];
}

function copyOf(view: ArrayBufferView): ArrayBufferView {
  const ctor = view.constructor as new (buffer: ArrayBuffer) => ArrayBufferView;
  const buffer = new ArrayBuffer(view.byteLength);
  new Uint8Array(buffer).set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
  return new ctor(buffer);
}

/**
 * Rebuilds the object tree of `value` (never mutating it) and lists the buffers to move.
 * `copyFrozen` (default true) copies arrays reached through frozen containers instead of moving them.
 * @example
 * const { value, transfer } = forTransfer(samples);
 * port.postMessage(value, transfer);
 */
export function forTransfer<T>(value: T, options: { readonly copyFrozen?: boolean } = {}): Outgoing<T> {
  const copyFrozen = options.copyFrozen ?? true;
  const transfer = new Set<ArrayBuffer>();
  const walk = (v: unknown, frozenParent: boolean): unknown => {
    if (typeof v !== 'object' || v === null) return v;
    if (ArrayBuffer.isView(v)) {
      const sendable = frozenParent && copyFrozen ? copyOf(v) : v;
      if (sendable.buffer instanceof ArrayBuffer && sendable.buffer.byteLength > 0) transfer.add(sendable.buffer);
      return sendable;
    }
    const frozen = Object.isFrozen(v);
    if (Array.isArray(v)) return v.map((x) => walk(x, frozen));
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = walk(x, frozen);
    return out;
  };
  return { value: walk(value, false) as T, transfer: [...transfer] };
}

/** The buffers of every typed array in `samples` (for sending results back from a worker). */
export function buffersOf(samples: readonly Sample[] | readonly Sample[][]): ArrayBuffer[] {
  return forTransfer(samples, { copyFrozen: false }).transfer;
}
