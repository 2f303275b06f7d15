/**
 * Reading a committed sharded cache as one: each lookup goes to the shard its id hashes to
 * (shard-assign.ts), whose LMDB environment is opened read-only on first use. At most `maxOpen`
 * environments are open at once (least recently used closed first), so a cache of thousands of
 * shards does not exhaust file descriptors. The shard's `shard.json` must match the digest the
 * commit recorded, and its files their recorded sizes, before its environment is opened.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FuseflowError, InputError } from '../../core/errors.js';
import type { Sample } from '../../core/sample.js';
import type { CacheEntry } from '../cache-entry.js';
import { CACHE_FILES } from '../cache-files.js';
import { EntryStore, type EntryStoreView } from '../entry-store.js';
import { shardName, shardOfId } from './shard-assign.js';
import { readCommitRecord, readShardRecord, shardFilesProblem, shardFolder, SHARDED_FILES, type CommitRecord, type ShardPlan } from './shard-files.js';
import { sha256Hex } from '../sha256.js';

/** Default bound on open shard environments. */
export const MAX_OPEN_SHARDS = 64;

/**
 * The commit record of the sharded cache at `dir` (with `plan`), required for reading.
 * @throws {InputError} naming the folder when it is not committed (with the command to run).
 */
export function requireCommitted(dir: string, plan: ShardPlan): CommitRecord {
  const commit = readCommitRecord(dir, plan);
  if (commit === undefined) {
    throw new InputError(`a sharded cache that is not committed yet (no ${SHARDED_FILES.committed}); when every shard is filled run: fuseflow cache commit ${dir}`, { file: dir });
  }
  return commit;
}

/** The entries and payloads of every shard, read-only, as one store. */
export class ShardedEntryStore implements EntryStoreView {
  private readonly open = new Map<number, EntryStore>();
  private readonly closing: Promise<void>[] = [];

  /**
   * @param folder the sharded cache folder. @param maxOpen most environments open at once.
   * @throws {InputError} when the cache is not committed.
   */
  constructor(
    private readonly folder: string,
    private readonly plan: ShardPlan,
    private readonly maxOpen = MAX_OPEN_SHARDS,
  ) {
    this.commit = requireCommitted(folder, plan);
  }

  private readonly commit: CommitRecord;

  /** The open store of shard `index`, or undefined when the shard has no entries. */
  private shard(index: number): EntryStore | undefined {
    if (this.commit.entries[index] === 0) return undefined;
    const found = this.open.get(index);
    if (found !== undefined) {
      this.open.delete(index);
      this.open.set(index, found); // most recently used last
      return found;
    }
    const dir = shardFolder(this.folder, index, this.plan.shards);
    const recordFile = join(dir, SHARDED_FILES.record);
    const record = readShardRecord(dir, { key: this.plan.key, index, shards: this.plan.shards });
    let digest = '';
    try {
      digest = sha256Hex(readFileSync(recordFile));
    } catch {
      // reported below
    }
    if (record === undefined || digest !== this.commit.records[index]) {
      throw new InputError(`shard ${shardName(index, this.plan.shards)} is missing or differs from what was committed; commit again or pull again`, { file: recordFile });
    }
    const problem = shardFilesProblem(dir, record, false);
    if (problem !== undefined) throw new InputError(`shard ${shardName(index, this.plan.shards)}: ${problem}`, { file: dir });
    const store = new EntryStore(dir, CACHE_FILES.store, true);
    this.open.set(index, store);
    if (this.open.size > this.maxOpen) {
      const [oldest, old] = this.open.entries().next().value as [number, EntryStore];
      this.open.delete(oldest);
      this.closing.push(old.close());
    }
    return store;
  }

  private shardOf(initialId: string): EntryStore | undefined {
    return this.shard(shardOfId(initialId, this.plan.shards));
  }

  entry(initialId: string): CacheEntry | undefined {
    return this.shardOf(initialId)?.entry(initialId);
  }

  /** Every entry record of every shard, shard by shard (each in key order). */
  records(): { readonly key: string; readonly value: Buffer }[] {
    const out: { readonly key: string; readonly value: Buffer }[] = [];
    for (let i = 0; i < this.plan.shards; i++) for (const r of this.shard(i)?.records() ?? []) out.push(r);
    return out;
  }

  *all(): Generator<CacheEntry> {
    for (let i = 0; i < this.plan.shards; i++) {
      const store = this.shard(i);
      if (store !== undefined) yield* store.all();
    }
  }

  readOutputs(initialId: string, entry: CacheEntry): readonly Sample[] {
    const store = this.shardOf(initialId);
    if (store === undefined) throw new InputError(`sample '${initialId}' is not in the sharded cache`, { file: this.folder });
    return store.readOutputs(initialId, entry);
  }

  /** @throws {FuseflowError} always: a committed sharded cache is read-only. */
  put(): boolean {
    throw new FuseflowError(`cache ${this.folder}: a sharded cache is read-only; a sample missing from it is filled by fuseflow cache fill (then cache commit), not by a reader`);
  }

  async close(): Promise<void> {
    const stores = [...this.open.values()];
    this.open.clear();
    await Promise.all([...this.closing.splice(0), ...stores.map((s) => s.close())]);
  }
}
