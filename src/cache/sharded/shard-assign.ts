/**
 * Which shard an initial id belongs to: a pure function of the id and the shard count — the first
 * 48 bits of the SHA-256 of its UTF-8 bytes, modulo the count. It needs neither the other ids nor
 * their order, so every filler computes its share alone, a reader routes a lookup to its shard
 * without a table, and shards come out about equal in size (uneven volumes are balanced by using
 * many more shards than nodes and letting the scheduler hand them out).
 */
import { InputError, OptionsError } from '../../core/errors.js';
import { sha256Hex } from '../sha256.js';
import { scanIds, type SampleIds } from '../../core/ids/id-column.js';

/** Rows between two calls of the `onScan` callback of {@link shardIdsOf}. */
export const SCAN_REPORT_ROWS = 1 << 16;

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
  return Number.parseInt(sha256Hex(initialId).slice(0, 12), 16) % shards;
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

/**
 * The ids of shard `index` among `shards` from a dataset's ids — a `string[]` or an id column
 * (e.g. `idsFromArrowFile`), read in one pass in bounded memory (see `scanIds`): only this shard's
 * ids are kept, sorted as by {@link shardIds}. Every row is checked on the way: an empty id
 * anywhere, or an id of this shard on two rows (two equal ids always fall in the same shard, so
 * the fills of all shards together find every repeat), is refused.
 * `onScan(rows, total)` is called every {@link SCAN_REPORT_ROWS} rows and at the end.
 * @example shardIdsOf(idsFromArrowFile('ids.arrow'), 3, 64, 'my-dataset.ts');
 * @throws {OptionsError} for a bad count or index.
 * @throws {InputError} naming `file`, the column and the rows of an empty or repeated id (and
 *   whatever the column throws for a row it cannot read, e.g. a null).
 */
export function shardIdsOf(ids: SampleIds, index: number, shards: number, file: string, onScan?: (rows: number, total: number) => void): string[] {
  checkShards(shards, index);
  const where = Array.isArray(ids) ? "'ids'" : (ids as { readonly label: string }).label;
  const mine = new Map<string, number>();
  let row = 0;
  for (const id of scanIds(ids)) {
    if (id === '') throw new InputError(`row ${row} of ${where} is an empty id; sample ids are non-empty strings`, { file });
    if (shardOfId(id, shards) === index) {
      const first = mine.get(id);
      if (first !== undefined) throw new InputError(`id '${id}' is on rows ${first} and ${row} of ${where}; sample ids must be unique`, { file });
      mine.set(id, row);
    }
    row++;
    if (onScan !== undefined && row % SCAN_REPORT_ROWS === 0) onScan(row, ids.length);
  }
  onScan?.(row, ids.length);
  return [...mine.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The folder name of shard `index` of `shards`, e.g. `00002-of-00004`. */
export function shardName(index: number, shards: number): string {
  return `${String(index).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}`;
}
