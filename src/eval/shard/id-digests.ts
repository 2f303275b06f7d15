/**
 * Duplicate sample ids across the shards of a map/merge evaluation (`fuseflow eval --id ID
 * --shard i/N --state-out FILE`, then `fuseflow eval merge`). One `fuseflow eval --id` process
 * refuses an id that its first input holds twice (src/eval/sources/join-sources.ts); a shard sees
 * only its share, so an id in two shards' shares would be counted twice. Each shard therefore
 * writes beside its state a sorted file of fixed-size id digests, and merge streams those files
 * in one k-way merge: an equal pair from two shards is looked up again in just those two shares
 * (only on that error path) and refused naming the id, both input files and rows and both shards.
 *
 * Digest width, 128 bits: equal ids always give equal digests, so a duplicate is never missed; two
 * different ids with one digest (a collision) only cost a rescan of two shares, which finds that
 * their texts differ and goes on. The width bounds how often that happens: among n ids the chance
 * of any collision is about n² / 2^129 — 3.7·10^-19 at 10^10 ids (96 bits would give 6·10^-10).
 * The hash is MurmurHash3's x86 128-bit scheme over the id's UTF-16 code units (written here; not
 * cryptographic — no adversary gains anything by a collision but a rescan).
 *
 * File layout: the 8 bytes `FFIDDG01`, then `count` digests of 16 bytes (four big-endian 32-bit
 * words), sorted ascending. The state header records the file's name (beside the state file),
 * its count, its SHA-256 and the shard's input parts (absolute paths, for the rescan).
 *
 * Memory bounds: a shard holds at most `memoryIds` digests (default 2^20, 16 MiB); beyond that it
 * sorts them into a run file beside the target and starts again, and at the end merges the runs
 * with one buffer each (together at most 16 MiB). Merge holds one buffer per shard's digest file
 * (together at most 64 MiB, at least 16 digests each) and opens each file only while it refills.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, constants, fsyncSync, lstatSync, openSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '../../core/errors.js';
import { checkOutputTarget, fsyncDir, OutputError, outputErrorOf, removeStaleTemps, tempPathFor } from '../../core/safe-fs.js';
import { describeOrigin, type EvalSource } from '../sources/eval-source.js';
import { fileSetSource, type FilePart } from '../sources/file-set-source.js';

/** Magic and version of a digest file. */
export const ID_DIGEST_MAGIC = 'FFIDDG01';
const MAGIC = Buffer.from(ID_DIGEST_MAGIC, 'latin1');
/** Bytes of one digest. */
export const ID_DIGEST_BYTES = 16;
/** Default bound of digests a shard holds in memory before spilling a sorted run (16 MiB). */
export const DEFAULT_MEMORY_IDS = 1 << 20;
/** Bytes of read buffers a merge of digest files may hold in all. */
const MERGE_BUFFER_BYTES = 64 << 20;

/** What a state header records about its shard's digest file (field `ids`). */
export interface IdDigestRef {
  /** The digest file's name, in the state file's folder. */
  readonly file: string;
  /** Digests in the file: the rows of the shard's share. */
  readonly count: number;
  /** SHA-256 of the whole file, hex. */
  readonly sha256: string;
  /** The shard's share of the first input (absolute paths), read again only to name a duplicate. */
  readonly parts: readonly FilePart[];
}

const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** The code units `i` and `i + 1` of `s` as one 32-bit word (0 past the end). */
function word(s: string, i: number, n: number): number {
  return (i < n ? s.charCodeAt(i) : 0) | ((i + 1 < n ? s.charCodeAt(i + 1) : 0) << 16);
}

/**
 * Writes the 128-bit digest of `id` into `out[at..at+3]` (most significant word first).
 * @example const d = new Uint32Array(4); idDigest('case-17', d, 0);
 */
export function idDigest(id: string, out: Uint32Array, at: number): void {
  const n = id.length;
  let h1 = 0;
  let h2 = 0;
  let h3 = 0;
  let h4 = 0;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    h1 ^= Math.imul(rotl(Math.imul(word(id, i, n), C1), 15), C2);
    h1 = (Math.imul((rotl(h1, 19) + h2) | 0, 5) + 0x561ccd1b) | 0;
    h2 ^= Math.imul(rotl(Math.imul(word(id, i + 2, n), C2), 16), C3);
    h2 = (Math.imul((rotl(h2, 17) + h3) | 0, 5) + 0x0bcaa747) | 0;
    h3 ^= Math.imul(rotl(Math.imul(word(id, i + 4, n), C3), 17), C4);
    h3 = (Math.imul((rotl(h3, 15) + h4) | 0, 5) + 0x96cd1c35) | 0;
    h4 ^= Math.imul(rotl(Math.imul(word(id, i + 6, n), C4), 18), C1);
    h4 = (Math.imul((rotl(h4, 13) + h1) | 0, 5) + 0x32ac3b17) | 0;
  }
  const rest = n - i;
  if (rest > 6) h4 ^= Math.imul(rotl(Math.imul(word(id, i + 6, n), C4), 18), C1);
  if (rest > 4) h3 ^= Math.imul(rotl(Math.imul(word(id, i + 4, n), C3), 17), C4);
  if (rest > 2) h2 ^= Math.imul(rotl(Math.imul(word(id, i + 2, n), C2), 16), C3);
  if (rest > 0) h1 ^= Math.imul(rotl(Math.imul(word(id, i, n), C1), 15), C2);
  const bytes = 2 * n;
  h1 ^= bytes;
  h2 ^= bytes;
  h3 ^= bytes;
  h4 ^= bytes;
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h3 = fmix(h3);
  h4 = fmix(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  out[at] = h1;
  out[at + 1] = h2 + h1;
  out[at + 2] = h3 + h1;
  out[at + 3] = h4 + h1;
}

/** Compares digests `a[i..]` and `b[j..]` (4 words each) as unsigned 128-bit numbers. */
function compare(a: Uint32Array, i: number, b: Uint32Array, j: number): number {
  for (let k = 0; k < 4; k++) {
    const x = a[i + k] as number;
    const y = b[j + k] as number;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Big-endian bytes of `count` digests of `words` taken in `order`. */
function encode(words: Uint32Array, order: ArrayLike<number>, count: number): Buffer {
  const buf = Buffer.allocUnsafe(count * ID_DIGEST_BYTES);
  for (let r = 0; r < count; r++) {
    const at = (order[r] as number) * 4;
    const o = r * ID_DIGEST_BYTES;
    buf.writeUInt32BE(words[at] as number, o);
    buf.writeUInt32BE(words[at + 1] as number, o + 4);
    buf.writeUInt32BE(words[at + 2] as number, o + 8);
    buf.writeUInt32BE(words[at + 3] as number, o + 12);
  }
  return buf;
}

/**
 * The order of the `count` digests in `words` (ascending): a native sort on the first word (keys
 * `word · 2^21 + index`, exact in a double), then the rare runs with an equal first word by all words.
 */
function sortedOrder(words: Uint32Array, count: number): Uint32Array {
  const keys = new Float64Array(count);
  for (let r = 0; r < count; r++) keys[r] = (words[r * 4] as number) * 2 ** 21 + r;
  keys.sort();
  const order = new Uint32Array(count);
  for (let r = 0; r < count; r++) order[r] = (keys[r] as number) % 2 ** 21;
  for (let s = 0; s < count;) {
    let e = s + 1;
    while (e < count && words[(order[e] as number) * 4] === words[(order[s] as number) * 4]) e++;
    if (e - s > 1) order.subarray(s, e).sort((x, y) => compare(words, x * 4, words, y * 4));
    s = e;
  }
  return order;
}

/** Reads fixed-size records from one file in chunks, reopening it for each chunk (no descriptor held). */
class DigestCursor {
  readonly #file: string;
  readonly #end: number;
  readonly #chunk: Buffer;
  readonly #hash: Hash | undefined;
  #pos: number;
  #have = 0;
  #at = 0;
  /** The current digest (valid while `!done`). */
  readonly current = new Uint32Array(4);
  done = false;

  constructor(file: string, start: number, end: number, chunkRecords: number, hash?: Hash) {
    this.#file = file;
    this.#pos = start;
    this.#end = end;
    this.#chunk = Buffer.allocUnsafe(chunkRecords * ID_DIGEST_BYTES);
    this.#hash = hash;
    this.next();
  }

  /** Moves to the next digest; sets `done` past the last. */
  next(): void {
    if (this.#at >= this.#have) {
      const want = Math.min(this.#chunk.length, this.#end - this.#pos);
      if (want <= 0) {
        this.done = true;
        return;
      }
      const fd = openSync(this.#file, 'r');
      try {
        let got = 0;
        while (got < want) {
          const n = readSync(fd, this.#chunk, got, want - got, this.#pos + got);
          if (n === 0) throw new InputError(`id digest file ended early (at byte ${this.#pos + got} of ${this.#end})`, { file: this.#file });
          got += n;
        }
      } finally {
        closeSync(fd);
      }
      this.#hash?.update(this.#chunk.subarray(0, want));
      this.#pos += want;
      this.#have = want;
      this.#at = 0;
    }
    const c = this.#chunk;
    const o = this.#at;
    this.current[0] = c.readUInt32BE(o);
    this.current[1] = c.readUInt32BE(o + 4);
    this.current[2] = c.readUInt32BE(o + 8);
    this.current[3] = c.readUInt32BE(o + 12);
    this.#at += ID_DIGEST_BYTES;
  }
}

/** A min-heap of cursors by current digest (ties: lower index first, so merges are deterministic). */
class CursorHeap {
  readonly #items: { cursor: DigestCursor; index: number }[] = [];

  get size(): number {
    return this.#items.length;
  }

  push(cursor: DigestCursor, index: number): void {
    if (cursor.done) return;
    this.#items.push({ cursor, index });
    let i = this.#items.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(i, p)) break;
      this.#swap(i, p);
      i = p;
    }
  }

  /** The cursor with the smallest digest and its index, or undefined when empty. */
  peek(): { cursor: DigestCursor; index: number } | undefined {
    return this.#items[0];
  }

  /** After the top cursor advanced: drops it when done, else restores the order. */
  advanced(): void {
    const items = this.#items;
    if ((items[0] as { cursor: DigestCursor }).cursor.done) {
      const last = items.pop() as { cursor: DigestCursor; index: number };
      if (items.length === 0) return;
      items[0] = last;
    }
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < items.length && this.#less(l, m)) m = l;
      if (r < items.length && this.#less(r, m)) m = r;
      if (m === i) return;
      this.#swap(i, m);
      i = m;
    }
  }

  #less(a: number, b: number): boolean {
    const x = this.#items[a] as { cursor: DigestCursor; index: number };
    const y = this.#items[b] as { cursor: DigestCursor; index: number };
    const c = compare(x.cursor.current, 0, y.cursor.current, 0);
    return c < 0 || (c === 0 && x.index < y.index);
  }

  #swap(a: number, b: number): void {
    const t = this.#items[a] as { cursor: DigestCursor; index: number };
    this.#items[a] = this.#items[b] as { cursor: DigestCursor; index: number };
    this.#items[b] = t;
  }
}

/** Options of {@link IdDigestWriter}. */
export interface IdDigestWriterOptions {
  /** Digests held in memory before a sorted run is spilled beside the target; default 2^20 (16 MiB). At most 2^21. */
  readonly memoryIds?: number;
  /** Replace an existing file that is not an id digest file. Default false (an existing digest file is replaced: it is derived data). */
  readonly overwrite?: boolean;
}

/**
 * Collects the digests of a shard's ids and writes them sorted to `target` (atomically: a temp file
 * beside it, then rename). Memory: at most `memoryIds` digests; sorted runs spill beside the target.
 */
export class IdDigestWriter {
  readonly target: string;
  readonly #memoryIds: number;
  readonly #overwrite: boolean;
  #words: Uint32Array;
  #held = 0;
  #count = 0;
  readonly #runs: { path: string; count: number }[] = [];

  constructor(target: string, options: IdDigestWriterOptions = {}) {
    const memoryIds = options.memoryIds ?? DEFAULT_MEMORY_IDS;
    if (!Number.isInteger(memoryIds) || memoryIds < 1 || memoryIds > 2 ** 21)
      throw new RangeError(`IdDigestWriter: memoryIds must be a whole number from 1 to 2^21, got ${memoryIds}`);
    this.target = target;
    this.#memoryIds = memoryIds;
    this.#overwrite = options.overwrite === true;
    this.#words = new Uint32Array(4 * Math.min(memoryIds, 4096));
    checkDigestTarget(target, this.#overwrite);
    // Sorted runs and the output's temporary that a writer killed on this host left (safe-fs.ts).
    removeStaleTemps(target);
  }

  /** Ids added so far. */
  get count(): number {
    return this.#count;
  }

  /** Adds one id (its text, as the join compares it). */
  add(id: string): void {
    if (this.#held === this.#memoryIds) this.#spill();
    if (this.#held * 4 === this.#words.length) {
      const grown = new Uint32Array(Math.min(this.#words.length * 2, this.#memoryIds * 4));
      grown.set(this.#words);
      this.#words = grown;
    }
    idDigest(id, this.#words, this.#held * 4);
    this.#held++;
    this.#count++;
  }

  /**
   * Sorts what is held, merges it with the spilled runs into the target and removes the runs.
   * @returns the header record (`parts`: the shard's share, made absolute).
   * @throws OutputError naming the target when it cannot be written.
   */
  finish(parts: readonly FilePart[]): IdDigestRef {
    const tmp = tempPathFor(this.target);
    const hash = createHash('sha256');
    let fd = -1;
    try {
      fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
      const out = fd;
      const put = (bytes: Buffer): void => {
        hash.update(bytes);
        let done = 0;
        while (done < bytes.length) done += writeSync(out, bytes, done, bytes.length - done);
      };
      put(MAGIC);
      const order = sortedOrder(this.#words, this.#held);
      if (this.#runs.length === 0) put(encode(this.#words, order, this.#held));
      else {
        this.#spillSorted(order);
        this.#mergeRuns(put);
      }
      fsyncSync(fd);
      closeSync(fd);
      fd = -1;
      checkDigestTarget(this.target, this.#overwrite);
      renameSync(tmp, this.target);
    } catch (err) {
      if (fd >= 0) closeSync(fd);
      rmSync(tmp, { force: true });
      throw err instanceof InputError ? err : outputErrorOf(this.target, err);
    } finally {
      this.abort();
    }
    fsyncDir(dirname(this.target));
    return { file: basename(this.target), count: this.#count, sha256: hash.digest('hex'), parts: parts.map((p) => ({ ...p, path: resolve(p.path) })) };
  }

  /** Removes the spilled runs (after a failed shard; finish calls it too). */
  abort(): void {
    for (const run of this.#runs.splice(0)) rmSync(run.path, { force: true });
    this.#held = 0;
  }

  #spill(): void {
    this.#spillSorted(sortedOrder(this.#words, this.#held));
  }

  #spillSorted(order: Uint32Array): void {
    const path = tempPathFor(this.target, `run${this.#runs.length}`);
    let fd: number;
    try {
      fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    } catch (err) {
      throw outputErrorOf(path, err, 'cannot write a sorted run of id digests');
    }
    this.#runs.push({ path, count: this.#held });
    try {
      const bytes = encode(this.#words, order, this.#held);
      let done = 0;
      while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    } catch (err) {
      throw outputErrorOf(path, err, 'cannot write a sorted run of id digests');
    } finally {
      closeSync(fd);
    }
    this.#held = 0;
  }

  /** Streams the runs, merged in order, to `put` (one buffer per run; 16 MiB in all). */
  #mergeRuns(put: (bytes: Buffer) => void): void {
    const chunk = Math.max(16, Math.min(65_536, Math.floor((16 << 20) / ID_DIGEST_BYTES / this.#runs.length)));
    const heap = new CursorHeap();
    this.#runs.forEach((run, k) => heap.push(new DigestCursor(run.path, 0, run.count * ID_DIGEST_BYTES, chunk), k));
    const out = Buffer.allocUnsafe(4096 * ID_DIGEST_BYTES);
    let used = 0;
    for (let top = heap.peek(); top !== undefined; top = heap.peek()) {
      const c = top.cursor.current;
      out.writeUInt32BE(c[0] as number, used);
      out.writeUInt32BE(c[1] as number, used + 4);
      out.writeUInt32BE(c[2] as number, used + 8);
      out.writeUInt32BE(c[3] as number, used + 12);
      used += ID_DIGEST_BYTES;
      if (used === out.length) {
        put(out);
        used = 0;
      }
      top.cursor.next();
      heap.advanced();
    }
    if (used > 0) put(out.subarray(0, used));
  }
}

/** An existing target is replaced when it is an id digest file (derived data), else refused unless `overwrite`. */
function checkDigestTarget(target: string, overwrite: boolean): void {
  let isDigestFile = false;
  try {
    if (lstatSync(target).isFile()) {
      const fd = openSync(target, 'r');
      try {
        const head = Buffer.alloc(MAGIC.length);
        isDigestFile = readSync(fd, head, 0, head.length, 0) === head.length && head.equals(MAGIC);
      } finally {
        closeSync(fd);
      }
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw outputErrorOf(target, err, 'cannot inspect');
  }
  try {
    checkOutputTarget(target, { overwrite: overwrite || isDigestFile });
  } catch (err) {
    if (err instanceof OutputError && !isDigestFile) throw new OutputError(target, `${err.message.slice(target.length + 2)} (the id digest file of the state file beside it)`);
    throw err;
  }
}

/**
 * Wraps a shard's first input so that its first scan adds every row's id (its text, as the join
 * compares ids) to `writer`; later scans pass through. Rows without an id are left to the join,
 * which refuses them.
 */
export function tapIds(source: EvalSource, idColumn: string, writer: IdDigestWriter): EvalSource {
  let scanned = false;
  return {
    name: source.name,
    reReadable: source.reReadable,
    scan(batchSize, onBatch) {
      if (scanned) return source.scan(batchSize, onBatch);
      scanned = true;
      return source.scan(batchSize, (batch) => {
        const ids = batch.columns[idColumn];
        if (ids !== undefined) {
          for (let i = 0; i < batch.length; i++) {
            const v = ids[i];
            if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') writer.add(String(v));
          }
        }
        onBatch(batch);
      });
    },
  };
}

/** One shard's state file as the id check needs it. */
export interface ShardIds {
  /** The state file. */
  readonly file: string;
  readonly shard: { readonly index: number; readonly count: number };
  /** The header's `ids` field (undefined when the state file has none). */
  readonly ids: unknown;
}

/** An input file as the run recorded it. */
export interface RecordedFile {
  readonly path: string;
  readonly bytes: number;
  readonly mtimeMs: number;
}

/**
 * Refuses an id that two shards read: merges the shards' digest files (checking each against its
 * state header: present, format, count, sorted, SHA-256) and, for an equal digest in two shards,
 * reads those two shares again to find the id text.
 * @throws InputError naming the id, both input files and rows and both shards; or naming a digest
 *   file that is missing, damaged or not the one its state file recorded.
 */
export async function checkIdsAcrossShards(shards: readonly ShardIds[], idColumn: string, files: readonly RecordedFile[]): Promise<void> {
  const refs = shards.map((s) => digestRefOf(s));
  const chunk = Math.max(16, Math.min(65_536, Math.floor(MERGE_BUFFER_BYTES / ID_DIGEST_BYTES / Math.max(1, shards.length))));
  const hashes = refs.map(() => createHash('sha256'));
  const heap = new CursorHeap();
  refs.forEach((ref, k) => {
    hashes[k]?.update(MAGIC);
    heap.push(new DigestCursor(ref.path, MAGIC.length, MAGIC.length + ref.count * ID_DIGEST_BYTES, chunk, hashes[k]), k);
  });
  const last = new Uint32Array(4);
  const lastOf = new Uint32Array(4 * refs.length);
  const seen = new Uint8Array(refs.length);
  /** The shards holding the digest `last` (a group longer than one only on a duplicate or a collision). */
  let group: number[] = [];
  for (let top = heap.peek(); top !== undefined; top = heap.peek()) {
    const c = top.cursor.current;
    const k = top.index;
    if (seen[k] === 1 && compare(c, 0, lastOf, k * 4) < 0) throw damaged(refs[k] as DigestFile, 'its digests are not in order');
    seen[k] = 1;
    lastOf.set(c, k * 4);
    if (group.length > 0 && compare(c, 0, last, 0) === 0) {
      if (!group.includes(k)) {
        for (const other of group) await refuseIfSameId(shards, refs, other, k, c, idColumn, files);
        group.push(k);
      }
    } else {
      last.set(c);
      group = [k];
    }
    top.cursor.next();
    heap.advanced();
  }
  refs.forEach((ref, k) => {
    if ((hashes[k] as Hash).digest('hex') !== ref.sha256) throw damaged(ref, 'checksum mismatch');
  });
}

interface DigestFile extends IdDigestRef {
  /** Where the file is (beside its state file). */
  readonly path: string;
  /** The state file that recorded it. */
  readonly state: string;
}

function damaged(ref: DigestFile, why: string): InputError {
  return new InputError(`id digest file is damaged or not the one ${ref.state} recorded (${why}); rerun that shard`, { file: ref.path });
}

/** The digest file a state header names, checked: present, the format, the recorded size. */
function digestRefOf(s: ShardIds): DigestFile {
  const ids = s.ids as Partial<IdDigestRef> | undefined;
  if (ids === undefined || typeof ids.file !== 'string' || typeof ids.count !== 'number' || typeof ids.sha256 !== 'string' || !Array.isArray(ids.parts))
    throw new InputError('the run evaluates by --id but this state file records no id digest file (written by another fuseflow version?); rerun its shard', { file: s.file });
  if (basename(ids.file) !== ids.file) throw new InputError(`the state file names its id digest file '${ids.file}' outside its folder`, { file: s.file });
  const ref: DigestFile = { ...(ids as IdDigestRef), path: join(dirname(s.file), ids.file), state: s.file };
  let size: number;
  try {
    size = statSync(ref.path).size;
  } catch (err) {
    throw new InputError(`cannot read the id digest file of ${s.file} (shard ${s.shard.index}/${s.shard.count}): ${err instanceof Error ? err.message : String(err)}`, {
      file: ref.path,
    });
  }
  if (size !== MAGIC.length + ref.count * ID_DIGEST_BYTES) throw damaged(ref, `${size} bytes, ${MAGIC.length + ref.count * ID_DIGEST_BYTES} expected for ${ref.count} ids`);
  const head = Buffer.alloc(MAGIC.length);
  const fd = openSync(ref.path, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (!head.equals(MAGIC)) throw damaged(ref, `it does not start with ${ID_DIGEST_MAGIC}`);
  return ref;
}

/** Reads shards `a` and `b`'s shares for ids with digest `digest`; throws when one id text is in both. */
async function refuseIfSameId(
  shards: readonly ShardIds[],
  refs: readonly DigestFile[],
  a: number,
  b: number,
  digest: Uint32Array,
  idColumn: string,
  files: readonly RecordedFile[],
): Promise<void> {
  const want = Uint32Array.from(digest);
  const found = await Promise.all([a, b].map((k) => idsWithDigest(refs[k] as DigestFile, want, idColumn, files)));
  const [inA, inB] = found as [Map<string, string>, Map<string, string>];
  for (const [id, whereA] of inA) {
    const whereB = inB.get(id);
    if (whereB === undefined) continue;
    const sa = shards[a] as ShardIds;
    const sb = shards[b] as ShardIds;
    const [first, second] = sa.shard.index <= sb.shard.index ? [[sa, whereA] as const, [sb, whereB] as const] : [[sb, whereB] as const, [sa, whereA] as const];
    throw new InputError(
      `duplicate id '${id}' in two shards' shares of the input: shard ${first[0].shard.index}/${first[0].shard.count} read it at ${first[1]} (state ${first[0].file}) and shard ${second[0].shard.index}/${second[0].shard.count} at ${second[1]} (state ${second[0].file}); one fuseflow eval over all the inputs refuses a duplicate id too — remove one of the rows, then rerun those shards`,
    );
  }
  // Different texts with one digest (a collision): nothing to refuse.
}

/** The ids (text → where) of a shard's share whose digest is `want`; refuses inputs changed since the shard read them. */
async function idsWithDigest(ref: DigestFile, want: Uint32Array, idColumn: string, files: readonly RecordedFile[]): Promise<Map<string, string>> {
  for (const part of ref.parts) {
    const rec = files.find((f) => f.path === part.path);
    let st;
    try {
      st = statSync(part.path);
    } catch (err) {
      throw new InputError(`a duplicate id digest needs this input read again, but it cannot be read: ${err instanceof Error ? err.message : String(err)}`, { file: part.path });
    }
    if (rec !== undefined && (st.size !== rec.bytes || Math.trunc(st.mtimeMs) !== rec.mtimeMs))
      throw new InputError(`changed since the shards read it (${rec.bytes} bytes then, ${st.size} now); rerun the shards`, { file: part.path });
  }
  const out = new Map<string, string>();
  if (ref.parts.length === 0) return out;
  const d = new Uint32Array(4);
  await fileSetSource(ref.parts, { idColumn, name: ref.parts[0]?.path ?? '' }).scan(65_536, (batch) => {
    const ids = batch.columns[idColumn];
    if (ids === undefined) return;
    for (let i = 0; i < batch.length; i++) {
      const v = ids[i];
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'bigint' && typeof v !== 'boolean') continue;
      const text = String(v);
      idDigest(text, d, 0);
      if (compare(d, 0, want, 0) === 0 && !out.has(text)) out.set(text, describeOrigin(batch.where?.(i) ?? { file: ref.parts[0]?.path ?? '' }));
    }
  });
  return out;
}
