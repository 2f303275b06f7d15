/**
 * How a {@link CacheEntry} is stored in LMDB: UTF-8 JSON of the entry (never a generic binary
 * serializer, so a damaged record fails as a clear error rather than deep inside a decoder) with
 * a checksum: SHA-256 over the entry's metadata and each payload's length and lane digest (see
 * lane-hash.ts). It is checked whenever payloads are read, so damage anywhere in an entry —
 * metadata or payload — is found by the next read and by `cache verify`. The payload digest (not
 * SHA-256 over the payload bytes, about 1.8 GB/s here) keeps the check cheap on every read (about
 * 9 GB/s, computed while the payload is copied out of LMDB): any damage within one 32-byte stripe
 * of a payload (one flipped bit or byte always) changes it, other random damage with probability
 * 1 − 2⁻⁶⁴.
 */
import { createHash } from 'node:crypto';
import { InputError } from '../core/errors.js';
import type { CacheEntry } from './cache-entry.js';
import { laneHash, STRIPE } from './lane-hash.js';

/** JSON of the entry's metadata (all but the checksum); numbers JSON cannot say are tagged. */
function metaText(entry: Omit<CacheEntry, 'checksum'> & { readonly checksum?: string }): string {
  const { checksum: _ignored, ...meta } = entry;
  return JSON.stringify(meta, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? { $num: String(v) } : v));
}

/** What the checksum covers of one payload: its length and its lane digest. */
export interface PayloadDigest {
  readonly length: number;
  /** {@link laneHash} of the payload bytes (32 bytes). */
  readonly digest: Uint8Array;
}

/** The {@link PayloadDigest} of `payload`. */
export const payloadDigest = (payload: Uint8Array): PayloadDigest => ({ length: payload.byteLength, digest: laneHash(payload) });

/** SHA-256 (hex) over the metadata text, then each payload's length (u64 LE) and lane digest (32 bytes). */
function checksumOf(meta: string, payloads: readonly PayloadDigest[]): string {
  const h = createHash('sha256');
  h.update(meta, 'utf8');
  const part = Buffer.alloc(8 + STRIPE);
  for (const p of payloads) {
    part.writeBigUInt64LE(BigInt(p.length), 0);
    part.set(p.digest, 8);
    h.update(part);
  }
  return h.digest('hex');
}

/** Encodes an entry record: its checksum (over `meta` and `payloads`), a newline, the metadata JSON. */
export function encodeEntry(entry: Omit<CacheEntry, 'checksum'>, payloads: readonly Uint8Array[]): Buffer {
  const meta = metaText(entry);
  return Buffer.from(`${checksumOf(meta, payloads.map(payloadDigest))}\n${meta}`, 'utf8');
}

/**
 * True when `entry` (as decoded by {@link decodeEntry}) and the payloads whose digests are
 * `payloads` (in output order) are what was committed.
 */
export function checksumMatches(entry: CacheEntry, payloads: readonly PayloadDigest[]): boolean {
  return checksumOf(storedText.get(entry) ?? metaText(entry), payloads) === entry.checksum;
}

/** The metadata text each decoded entry was parsed from (checked byte for byte, not re-serialized). */
const storedText = new WeakMap<CacheEntry, string>();

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringArray = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'string');

/**
 * Decodes an entry record and checks its shape (not its checksum: that needs the payloads).
 * `where` names the cache folder and the record in errors.
 * @throws {InputError} naming the cache folder when the record is not an entry (damaged).
 */
export function decodeEntry(bytes: Uint8Array, folder: string, where: string): CacheEntry {
  const bad = (what: string): InputError => new InputError(`cache entry ${where} is damaged (${what}); run fuseflow cache verify, and delete the cache if it is`, { file: folder });
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  const checksum = text.slice(0, 64);
  if (!/^[0-9a-f]{64}$/.test(checksum) || text[64] !== '\n') throw bad('no checksum');
  let raw: unknown;
  try {
    raw = JSON.parse(text.slice(65), (_k, v: unknown) => (isRecord(v) && typeof v['$num'] === 'string' && Object.keys(v).length === 1 ? Number(v['$num']) : v));
  } catch {
    throw bad('not valid JSON');
  }
  if (!isRecord(raw)) throw bad('not an object');
  if (typeof raw['initialId'] !== 'string') throw bad('no initial id');
  if (raw['status'] !== 'ok' && raw['status'] !== 'dropped') throw bad('bad status');
  if (typeof raw['outputFingerprint'] !== 'string' || typeof raw['committedAt'] !== 'number') throw bad('missing fingerprint or time');
  if (!isStringArray(raw['stages'])) throw bad('bad stage list');
  const outputs = raw['outputs'];
  if (
    !Array.isArray(outputs) ||
    !outputs.every((o) => isRecord(o) && typeof o['sampleId'] === 'string' && typeof o['bytes'] === 'number' && isRecord(o['fields']) && isRecord(o['shapes']))
  ) {
    throw bad('bad output list');
  }
  const inputs = raw['inputs'];
  if (
    !Array.isArray(inputs) ||
    !inputs.every(
      (f) =>
        isRecord(f) &&
        typeof f['path'] === 'string' &&
        (f['kind'] === 'file' || f['kind'] === 'folder') &&
        typeof f['size'] === 'number' &&
        typeof f['mtimeMs'] === 'number' &&
        typeof f['sha256'] === 'string',
    )
  ) {
    throw bad('bad input-file list');
  }
  const entry: CacheEntry = { ...(raw as unknown as Omit<CacheEntry, 'checksum'>), checksum };
  storedText.set(entry, text.slice(65));
  return entry;
}
