/**
 * SHA-256 digests as hex text, one implementation for the cache: entry keys (entry-store.ts), the
 * shard of an id (sharded/shard-assign.ts), shard records and files (sharded/*), input files
 * (input-files.ts). Strings are hashed as their UTF-8 bytes.
 */
import * as crypto from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';

/** Node ≥ 20.12 has the one-shot `crypto.hash` (no Hash object per call: about twice as fast for short ids). */
const oneShot = typeof (crypto as { hash?: unknown }).hash === 'function';

/**
 * Hex SHA-256 of a string's UTF-8 bytes, or of bytes.
 * @example sha256Hex('abc'); // 'ba7816bf…'
 */
export const sha256Hex = (data: string | Uint8Array): string => (oneShot ? crypto.hash('sha256', data, 'hex') : crypto.createHash('sha256').update(data).digest('hex'));

/** Bytes read at a time by {@link sha256File}. */
const CHUNK = 4 * 2 ** 20;

/**
 * Hex SHA-256 of a file's bytes, read in 4 MiB chunks.
 * @throws the file system's error when it cannot be opened or read (callers name the file).
 */
export function sha256File(path: string): string {
  const hash = crypto.createHash('sha256');
  const buf = Buffer.allocUnsafe(CHUNK);
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}
