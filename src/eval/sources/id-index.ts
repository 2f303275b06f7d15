/**
 * A map from sample id to a value that lives in memory up to a declared number of entries and
 * moves to an on-disk LMDB table beyond it, so joins of small inputs stay fast and joins larger
 * than memory still work.
 */
import type { Database, RootDatabase } from 'lmdb';

/**
 * Id → value, in a `Map` while it holds at most `memoryEntries` entries, then in the LMDB table
 * `name` of `root` (opened on first spill). Writes go through {@link IdIndex.batch} so LMDB sees
 * one transaction per batch.
 */
export class IdIndex<V> {
  readonly #memoryEntries: number;
  readonly #open: () => Database<V, string>;
  #map: Map<string, V> | undefined = new Map();
  #db: Database<V, string> | undefined;
  #size = 0;

  /** @param open opens (or creates) the LMDB table used once the index spills. */
  constructor(memoryEntries: number, open: () => Database<V, string>) {
    this.#memoryEntries = memoryEntries;
    this.#open = open;
  }

  /** Number of entries. */
  get size(): number {
    return this.#size;
  }

  /** Whether the entries are on disk. */
  get spilled(): boolean {
    return this.#db !== undefined;
  }

  /** Runs `writes` (calls to `put`) as one LMDB transaction when on disk. */
  batch<T>(writes: () => T): T {
    const db = this.#db;
    return db === undefined ? writes() : db.transactionSync(writes);
  }

  has(id: string): boolean {
    return this.#map !== undefined ? this.#map.has(id) : (this.#db as Database<V, string>).doesExist(id);
  }

  get(id: string): V | undefined {
    return this.#map !== undefined ? this.#map.get(id) : (this.#db as Database<V, string>).get(id);
  }

  /** Adds or replaces an entry. Inside `batch` when many are written. */
  put(id: string, value: V): void {
    if (this.#map !== undefined) {
      if (!this.#map.has(id)) this.#size++;
      this.#map.set(id, value);
      if (this.#map.size > this.#memoryEntries) this.#spill();
      return;
    }
    const db = this.#db as Database<V, string>;
    if (!db.doesExist(id)) this.#size++;
    db.putSync(id, value);
  }

  /** The ids, in no particular order. */
  keys(): Iterable<string> {
    return this.#map !== undefined ? this.#map.keys() : (this.#db as Database<V, string>).getKeys();
  }

  /** Removes every entry (and goes back to memory). */
  async clear(): Promise<void> {
    if (this.#db !== undefined) await this.#db.clearAsync();
    this.#map = new Map();
    this.#size = 0;
    this.#db = undefined;
  }

  #spill(): void {
    const db = this.#open();
    const map = this.#map as Map<string, V>;
    db.transactionSync(() => {
      for (const [id, value] of map) db.putSync(id, value);
    });
    this.#db = db;
    this.#map = undefined;
  }
}

/** Opens `root`'s table `name`, typed. */
export function lmdbTable<V>(root: RootDatabase, name: string): Database<V, string> {
  return root.openDB<V, string>({ name });
}
