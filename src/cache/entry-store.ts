/**
 * The LMDB side of a cache: the `entries` database (one JSON record with a checksum per initial
 * id, see entry-record.ts) and the `payloads` database (one binary value per output sample),
 * opened only after the file passed {@link checkLmdbFile}. Every LMDB error on read becomes an
 * InputError naming `cache.mdb`; every failed commit an OutputError naming the cache folder.
 *
 * Sample ids are never used as file names: LMDB keys are SHA-256 digests of the ids, and the
 * ids themselves are stored as data, so '/', '..', spaces and any unicode are safe.
 */
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { FuseflowError, InputError } from '../core/errors.js';
import type { Sample } from '../core/sample.js';
import type { CacheEntry } from './cache-entry.js';
import { commitErrorOf } from './commit-error.js';
import { checksumMatches, decodeEntry, encodeEntry, type PayloadDigest } from './entry-record.js';
import type { ComputedEntry } from './fill-worker.js';
import { copyAndHash } from './lane-hash.js';
import { checkLmdbFile } from './lmdb-check.js';
import { decodePayload } from './payload-codec.js';
import { sha256Hex } from './sha256.js';

/** The LMDB key of an initial id's entry. */
export const idKey = (id: string): string => sha256Hex(id);
const payloadKey = (entryKey: string, ordinal: number): string => `${entryKey}:${ordinal}`;

/** The LMDB key (in the `payloads` database) of output `ordinal` of `initialId`, for tools that read payloads raw. */
export function payloadKeyOf(initialId: string, ordinal: number): string {
  return payloadKey(idKey(initialId), ordinal);
}

/** What a cache needs of its store (one LMDB environment, or several shards read as one). */
export type EntryStoreView = Pick<EntryStore, 'entry' | 'records' | 'all' | 'readOutputs' | 'put' | 'close'>;

/** Entries and payloads of one cache folder in LMDB. */
export class EntryStore {
  private readonly root: RootDatabase;
  private readonly entries: Database<Buffer, string>;
  private readonly payloads: Database<Buffer, string>;

  /**
   * Opens `<folder>/<file>` (creating it unless `readOnly`).
   * @throws {InputError} naming the file when it is not a sound LMDB file or LMDB refuses it.
   */
  constructor(
    private readonly folder: string,
    private readonly file: string,
    readOnly: boolean,
  ) {
    const path = join(folder, file);
    checkLmdbFile(path);
    try {
      this.root = open({ path, maxDbs: 4, readOnly });
      this.entries = this.root.openDB<Buffer, string>({ name: 'entries', encoding: 'binary' });
      this.payloads = this.root.openDB<Buffer, string>({ name: 'payloads', encoding: 'binary' });
    } catch (err) {
      throw new InputError(`LMDB cannot open it (${err instanceof Error ? err.message : String(err)})`, { file: path });
    }
  }

  /** Runs an LMDB read, turning LMDB's own errors (a damaged tree) into an InputError naming the file. */
  private lmdb<T>(read: () => T): T {
    try {
      return read();
    } catch (err) {
      if (err instanceof FuseflowError) throw err;
      throw new InputError(`LMDB read failed (${err instanceof Error ? err.message : String(err)}); the cache is damaged: delete it and refill`, {
        file: join(this.folder, this.file),
      });
    }
  }

  /**
   * The entry of `initialId`, decoded (its checksum is checked with the payloads, by {@link readOutputs}).
   * @throws {InputError} naming the cache folder when the record is damaged.
   */
  entry(initialId: string): CacheEntry | undefined {
    const k = idKey(initialId);
    const bytes = this.lmdb(() => this.entries.getBinary(k));
    return bytes === undefined ? undefined : decodeEntry(bytes, this.folder, `of sample '${initialId}'`);
  }

  /** Every entry record, raw (LMDB key and bytes), in key order. */
  records(): { readonly key: string; readonly value: Buffer }[] {
    return this.lmdb(() => [...this.entries.getRange()].map(({ key, value }) => ({ key, value })));
  }

  /** Every entry, decoded (a damaged record throws an InputError naming the folder). */
  *all(): Generator<CacheEntry> {
    for (const { key, value } of this.records()) yield decodeEntry(value, this.folder, `'${key}'`);
  }

  /**
   * Reads the payloads of `entry`, checks its checksum over metadata and payloads, and decodes them.
   * Each payload is copied out of LMDB's reusable read buffer into a fresh buffer of its own, and
   * the copy (what the caller gets) is digested in the same pass (see lane-hash.ts).
   * @throws {InputError} naming the cache folder and the sample id: a missing payload, "checksum
   *   mismatch", or a payload that does not decode.
   */
  readOutputs(initialId: string, entry: CacheEntry): readonly Sample[] {
    const k = idKey(initialId);
    const digests: PayloadDigest[] = [];
    const bytes = entry.outputs.map((o, i) => {
      // getBinaryFast's buffer is overwritten by the next LMDB read: copied before any other read.
      const read = this.lmdb(() => {
        const fast = this.payloads.getBinaryFast(payloadKey(k, i));
        return fast === undefined ? undefined : copyAndHash(fast.subarray(0, fast.length));
      });
      if (read === undefined) throw new InputError(`payload ${i} of sample '${initialId}' (output '${o.sampleId}') is missing`, { file: this.folder });
      digests.push({ length: read.copy.byteLength, digest: read.digest });
      return read.copy;
    });
    if (entry.initialId !== initialId || !checksumMatches(entry, digests)) {
      throw new InputError(
        `sample '${initialId}': checksum mismatch (its entry or payloads changed after commit); the cache is damaged: run fuseflow cache verify, then delete it and refill`,
        { file: this.folder },
      );
    }
    const outputs = bytes.map((b, i) => {
      try {
        return decodePayload(b);
      } catch (err) {
        throw new InputError(`payload ${i} of sample '${initialId}' does not decode (${err instanceof Error ? err.message : String(err)})`, { file: this.folder });
      }
    });
    return Object.freeze(outputs);
  }

  /**
   * Commits `r` in one LMDB transaction, unless an entry is there that `keep` says to keep (it is
   * then replaced, surplus payloads of the old entry removed); true when written.
   * @throws {OutputError} naming the cache folder when the disk is full or failing (nothing of `r` is committed).
   */
  put(r: ComputedEntry, keep: (old: CacheEntry) => boolean): boolean {
    const k = idKey(r.initialId);
    const entry: Omit<CacheEntry, 'checksum'> = {
      initialId: r.initialId,
      status: r.outputs.length === 0 ? 'dropped' : 'ok',
      outputs: r.outputs,
      outputFingerprint: r.outputFingerprint,
      stages: r.stages,
      committedAt: Date.now(),
      inputs: r.inputs,
    };
    const record = encodeEntry(entry, r.payloads);
    try {
      return this.root.transactionSync(() => {
        const old = this.entry(r.initialId);
        if (old !== undefined && keep(old)) return false;
        for (let i = r.payloads.length; i < (old?.outputs.length ?? 0); i++) void this.payloads.remove(payloadKey(k, i));
        r.payloads.forEach((bytes, i) => {
          void this.payloads.put(payloadKey(k, i), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
        });
        void this.entries.put(k, record);
        return true;
      });
    } catch (err) {
      if (err instanceof FuseflowError) throw err;
      throw commitErrorOf(this.folder, err, record.byteLength + r.payloads.reduce((n, p) => n + p.byteLength, 0));
    }
  }

  /** Closes LMDB. */
  close(): Promise<void> {
    return this.root.close();
  }
}
