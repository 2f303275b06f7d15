/**
 * The binary form of one cached sample: a small JSON header describing the sample's tree, then
 * the bytes of every typed array, each on an 8-byte boundary. Typed arrays are stored as raw
 * bytes (never through a generic serializer), so every dtype round-trips bit for bit, NaN
 * payloads and -0 included. Decoding returns a frozen tree whose typed arrays view the bytes it
 * was given (no copy when they are aligned).
 */
import { TypeMismatchError } from '../core/errors.js';
import type { Sample } from '../core/sample.js';

const MAGIC = 0x31434646; // 'FFC1' little-endian
const ALIGN = 8;

type ArrayCtor = (new (buffer: ArrayBufferLike, byteOffset: number, length: number) => ArrayBufferView) & { readonly BYTES_PER_ELEMENT: number };

/** Typed-array classes by their tag in the header (every class JavaScript has). */
const ARRAY_TAGS: Readonly<Record<string, ArrayCtor>> = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  uint8: Uint8Array, // Buffer included; decodes as Uint8Array
  uint8c: Uint8ClampedArray,
  uint16: Uint16Array,
  uint32: Uint32Array,
  bigint64: BigInt64Array,
  biguint64: BigUint64Array,
};
const TAG_ENTRIES = Object.entries(ARRAY_TAGS);

function tagOf(view: ArrayBufferView, path: string): string {
  // The typed-array classes are unrelated to each other, so the first match is the only one.
  for (const [tag, ctor] of TAG_ENTRIES) if (view instanceof ctor) return tag;
  throw new TypeMismatchError(`cannot cache ${view.constructor.name} at '${path}': only typed arrays are stored as bytes`);
}

/** Header node: JSON-safe with `$`-tagged objects for what JSON cannot say. */
type Node = null | boolean | string | number | Node[] | { readonly [k: string]: Node };

function isPlainObject(v: object): boolean {
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function encodeNode(value: unknown, path: string, segments: ArrayBufferView[]): Node {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (Number.isFinite(value) && !Object.is(value, -0)) return value;
      return { $n: Object.is(value, -0) ? '-0' : String(value) };
    case 'bigint':
      return { $b: value.toString() };
    case 'undefined':
      return { $u: 1 };
    case 'object':
      break;
    default:
      throw new TypeMismatchError(`cannot cache a ${typeof value} at '${path}': samples hold plain data only`);
  }
  if (value === null) return null;
  if (ArrayBuffer.isView(value)) {
    const tag = tagOf(value, path);
    segments.push(value);
    return { $t: tag, i: segments.length - 1 };
  }
  if (Array.isArray(value)) return value.map((v, i) => encodeNode(v, `${path}[${i}]`, segments));
  if (!isPlainObject(value)) {
    throw new TypeMismatchError(`cannot cache a ${value.constructor.name} at '${path}': samples hold plain data only`);
  }
  const out: Record<string, Node> = {};
  let escaped = false;
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith('$')) escaped = true;
    out[k] = encodeNode(v, path === '' ? k : `${path}.${k}`, segments);
  }
  return escaped ? { $o: out } : out;
}

const pad = (n: number): number => (n + ALIGN - 1) & ~(ALIGN - 1);

/**
 * Encodes a sample (plain data: objects, arrays, strings, numbers, booleans, bigints, null and
 * typed arrays) into one buffer.
 * @example const bytes = encodePayload({ img: { dtype: 'float32', shape: [2], data: new Float32Array([1, NaN]) } });
 * @throws {TypeMismatchError} naming the key path of a value that is not plain data (a Map, a function, a class instance).
 */
export function encodePayload(sample: Sample): Buffer {
  const segments: ArrayBufferView[] = [];
  const tree = encodeNode(sample, '', segments);
  const placed: [number, number][] = [];
  let offset = 0;
  for (const s of segments) {
    placed.push([offset, s.byteLength]);
    offset = pad(offset + s.byteLength);
  }
  const header = Buffer.from(JSON.stringify({ v: tree, s: placed }), 'utf8');
  const dataStart = pad(8 + header.length);
  const out = Buffer.alloc(dataStart + offset);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(header.length, 4);
  header.copy(out, 8);
  segments.forEach((s, i) => {
    const at = dataStart + (placed[i] as [number, number])[0];
    out.set(new Uint8Array(s.buffer, s.byteOffset, s.byteLength), at);
  });
  return out;
}

interface Header {
  readonly v: Node;
  readonly s: readonly (readonly [number, number])[];
}

function decodeNode(node: Node, views: (tag: string, index: number) => ArrayBufferView): unknown {
  if (node === null || typeof node !== 'object') return node;
  if (Array.isArray(node)) return Object.freeze(node.map((n) => decodeNode(n, views)));
  const o = node as Readonly<Record<string, Node>>;
  if (typeof o.$t === 'string' && typeof o.i === 'number') return views(o.$t, o.i);
  if (typeof o.$n === 'string') return o.$n === '-0' ? -0 : Number(o.$n);
  if (typeof o.$b === 'string') return BigInt(o.$b);
  if (o.$u === 1) return undefined;
  const body = (o.$o ?? o) as Readonly<Record<string, Node>>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) out[k] = decodeNode(v, views);
  return Object.freeze(out);
}

/**
 * Decodes what {@link encodePayload} wrote. Objects and arrays come back frozen; typed arrays
 * view `bytes` (copied only when `bytes` is not 8-byte aligned), so they belong to whoever owns
 * `bytes` — give this a buffer nobody else writes (the cache reads a fresh copy per call).
 * @throws {TypeMismatchError} when the bytes are not a fuseflow payload.
 */
export function decodePayload(bytes: Uint8Array): Sample {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 8 || dv.getUint32(0, true) !== MAGIC) throw new TypeMismatchError('not a fuseflow cache payload (bad magic)');
  const headerLength = dv.getUint32(4, true);
  const header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, headerLength).toString('utf8')) as Header;
  const dataStart = pad(8 + headerLength);
  const aligned = bytes.byteOffset % ALIGN === 0;
  const views = (tag: string, index: number): ArrayBufferView => {
    const ctor = ARRAY_TAGS[tag];
    const seg = header.s[index];
    if (ctor === undefined || seg === undefined) throw new TypeMismatchError(`corrupt cache payload: bad array ${tag}#${index}`);
    const [off, len] = seg;
    const start = bytes.byteOffset + dataStart + off;
    if (start + len > bytes.byteOffset + bytes.byteLength) throw new TypeMismatchError('corrupt cache payload: truncated array data');
    if (aligned) return new ctor(bytes.buffer, start, len / ctor.BYTES_PER_ELEMENT);
    const copy = new ArrayBuffer(len);
    new Uint8Array(copy).set(new Uint8Array(bytes.buffer, start, len));
    return new ctor(copy, 0, len / ctor.BYTES_PER_ELEMENT);
  };
  return decodeNode(header.v, views) as Sample;
}
