/**
 * Which shard an initial id belongs to: a pure function of the id and the shard count — the first
 * 48 bits of the SHA-256 of its UTF-8 bytes, modulo the count. It needs neither the other ids nor
 * their order, so every filler computes its share alone, a reader routes a lookup to its shard
 * without a table, and shards come out about equal in size (uneven volumes are balanced by using
 * many more shards than nodes and letting the scheduler hand them out).
 */
import { createHash } from 'node:crypto';
import { OptionsError } from '../../core/errors.js';

/** Most shards a sharded cache may have (shard folder names have five digits). */
export const MAX_SHARDS = 99_999;

/**
 * Checks a shard count and an index (when given).
 * @throws {OptionsError} naming the value when it is not an integer in range.
 */
export function checkShards(shards: number, index?: number): void {
  if (!Number.isInteger(shards) || shards < 1 || shards > MAX_SHARDS) throw new OptionsError(`shards must be an integer from 1 to ${MAX_SHARDS}, got ${shards}`);
  if (index !== undefined && (!Number.isInteger(index) || index < 0 || index >= shards)) {
    throw new OptionsError(`shard index must be an integer from 0 to ${shards - 1} (shards ${shards}), got ${index}`);
  }
}

/**
 * The shard (0-based) of `initialId` among `shards`.
 * @example shardOfId('case-001', 4); // the same number on every machine, every run
 */
export function shardOfId(initialId: string, shards: number): number {
  const hex = createHash('sha256').update(initialId, 'utf8').digest('hex').slice(0, 12);
  return Number.parseInt(hex, 16) % shards;
}

/**
 * The ids of shard `index` among `shards`, unique and sorted (by UTF-16 code units, the order of
 * the cache manifest).
 * @example shardIds(['b', 'a', 'c'], 0, 1); // ['a', 'b', 'c']
 * @throws {OptionsError} for a bad count or index.
 */
export function shardIds(ids: Iterable<string>, index: number, shards: number): string[] {
  checkShards(shards, index);
  const mine = new Set<string>();
  for (const id of ids) if (shardOfId(id, shards) === index) mine.add(id);
  return [...mine].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The folder name of shard `index` of `shards`, e.g. `00002-of-00004`. */
export function shardName(index: number, shards: number): string {
  return `${String(index).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}`;
}
