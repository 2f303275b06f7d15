/**
 * Preparing samples to cross a thread boundary without copying their typed arrays: an array that
 * spans its whole buffer has that buffer moved (in the transfer list; the sender's array becomes
 * detached, length 0). Arrays that are not the sender's to detach are copied first and the copy
 * is moved: arrays held by a frozen object or array (read-only values such as the cache's),
 * partial views of a larger buffer (moving it would detach its other views too), and arrays
 * whose buffer the caller marks as kept (e.g. constants held by an op's options).
 */
import { OptionsError, TypeMismatchError } from '../core/errors.js';
import type { PipelineSpec } from '../ops/pipeline.js';
import { sampleIdOf, type Sample } from '../core/sample.js';
import { findNonPlain } from '../ops/plain-data.js';

/** Samples rebuilt for sending and the buffers to move. */
export interface Outgoing<T> {
  readonly value: T;
  readonly transfer: ArrayBuffer[];
}

/** Options of {@link forTransfer}. */
export interface ForTransferOptions {
  /** Copy arrays reached through frozen containers. Default `true`. */
  readonly copyFrozen?: boolean;
  /** Copy arrays that view only part of their buffer. Default `true`. */
  readonly copyPartial?: boolean;
  /** Buffers that must never be moved (their arrays are copied). Default: none. */
  readonly keep?: ReadonlySet<ArrayBufferLike>;
}

function copyOf(view: ArrayBufferView): ArrayBufferView {
  const ctor = view.constructor as new (buffer: ArrayBuffer) => ArrayBufferView;
  const buffer = new ArrayBuffer(view.byteLength);
  new Uint8Array(buffer).set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
  return new ctor(buffer);
}

/**
 * Rebuilds the object tree of `value` (never mutating it) and lists the buffers to move.
 * @example
 * const { value, transfer } = forTransfer(samples);
 * port.postMessage(value, transfer);
 */
export function forTransfer<T>(value: T, options: ForTransferOptions = {}): Outgoing<T> {
  const copyFrozen = options.copyFrozen ?? true;
  const copyPartial = options.copyPartial ?? true;
  const keep = options.keep;
  const transfer = new Set<ArrayBuffer>();
  const walk = (v: unknown, frozenParent: boolean): unknown => {
    if (typeof v !== 'object' || v === null) return v;
    if (ArrayBuffer.isView(v)) {
      if (!(v.buffer instanceof ArrayBuffer)) return v; // SharedArrayBuffer: shared, not moved
      const partial = v.byteOffset !== 0 || v.byteLength !== v.buffer.byteLength;
      const copy = (frozenParent && copyFrozen) || (partial && copyPartial) || keep?.has(v.buffer) === true;
      const sendable = copy ? copyOf(v) : v;
      if (sendable.buffer.byteLength > 0) transfer.add(sendable.buffer as ArrayBuffer);
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

/** Calls `fn` with every typed array or DataView inside `value` (plain objects, class instances, arrays, Maps, Sets). */
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

/** Every buffer of a typed array reachable from `value`, whole or in part (e.g. the constants in op options). */
export function buffersIn(value: unknown): Set<ArrayBufferLike> {
  const found = new Set<ArrayBufferLike>();
  eachView(value, (v) => found.add(v.buffer));
  return found;
}

/**
 * The transfer list for sending `value` as it is, without rebuilding it (unlike {@link forTransfer}),
 * for objects whose identity the sender keeps using (e.g. metric states it tags in place): the
 * distinct, non-empty, non-shared ArrayBuffers that typed arrays inside `value` cover whole, minus
 * those in `keep`. A view over part of a larger buffer is left to be copied by the structured
 * clone: moving it would take the rest of the buffer with it.
 */
export function transferablesOf(value: unknown, keep: ReadonlySet<ArrayBufferLike> = new Set()): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  eachView(value, (v) => {
    const buffer = v.buffer;
    if (buffer instanceof ArrayBuffer && buffer.byteLength > 0 && v.byteOffset === 0 && v.byteLength === buffer.byteLength && !keep.has(buffer)) out.add(buffer);
  });
  return [...out];
}

/** Samples ready to send back from a worker: `keep` buffers are copied, the rest moved. */
export function forReturn(samples: readonly Sample[][], keep: ReadonlySet<ArrayBufferLike>): Outgoing<Sample[][]> {
  return forTransfer(samples as Sample[][], { copyFrozen: true, copyPartial: false, keep });
}

/**
 * Throws before anything is sent when a sample holds what cannot cross threads as sample data
 * (a function, a class instance other than typed arrays), naming the sample and the key.
 * @throws {TypeMismatchError}
 */
export function checkSendable(owner: string, samples: readonly Sample[]): void {
  for (const s of samples) {
    const bad = findNonPlain(s);
    if (bad === undefined) continue;
    throw new TypeMismatchError(
      `${owner}: sample '${sampleIdOf(s)}' holds ${bad.what} at '${bad.path}'; samples sent to worker threads must hold plain data (numbers, strings, arrays, plain objects, typed arrays)`,
    );
  }
}

/**
 * Throws when an op of `spec` holds options that cannot cross to a worker thread (a function,
 * as `meta.lambda` does, or a class instance), naming the op and the option.
 * @throws {OptionsError}
 */
export function checkSpecSendable(owner: string, spec: PipelineSpec): void {
  spec.ops.forEach((op, i) => {
    const bad = findNonPlain(op.options);
    if (bad === undefined) return;
    const id = op.id ?? `${spec.name}.${i}.${op.name}`;
    throw new OptionsError(
      `${owner}: op '${op.name}' (id '${id}') holds ${bad.what} in option '${bad.path}', which cannot cross to a worker thread; run it in-thread, or register a named op with defineOp({ module: import.meta.url, ... })`,
    );
  });
}
