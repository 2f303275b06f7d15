/**
 * Test helper: damages a cache's LMDB store from outside, as a bad disk or a stray tool would —
 * one raw record of the `payloads` or `entries` database rewritten, bypassing the cache's API.
 */
import { join } from 'node:path';
import { open } from 'lmdb';
import { CACHE_FILES } from '../../src/cache/index.js';

/** Rewrites record `key` of database `db` in the cache folder `folder` with `edit` (given a copy of its bytes). */
export async function editStoreRecord(folder: string, db: 'payloads' | 'entries', key: string, edit: (bytes: Buffer) => Buffer): Promise<void> {
  const env = open({ path: join(folder, CACHE_FILES.store), maxDbs: 4 });
  const store = env.openDB<Buffer, string>({ name: db, encoding: 'binary' });
  await store.put(key, edit(Buffer.from(store.getBinary(key) as Buffer)));
  await env.close();
}

/** The bytes with bit `bit` (0 = lowest bit of the first byte) flipped, in place. */
export function flipBit(bytes: Buffer, bit: number): Buffer {
  bytes[bit >> 3] = (bytes[bit >> 3] as number) ^ (1 << (bit & 7));
  return bytes;
}
