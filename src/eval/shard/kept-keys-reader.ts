/**
 * Reads a shard's kept-keys file (format: kept-keys-file.ts): its head checked against the record
 * in the state file, then the keys of the bins one refinement pass asks for, reading and checking
 * only the blocks that hold them.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { InputError } from '../../core/errors.js';
import { sortedIndexOf } from '../../core/sorted-index.js';
import type { KeptRun } from '../metrics/histogram-kept.js';
import { KEPT_KEYS_BLOCK_BYTES, KEPT_KEYS_DIGEST_BYTES, KEPT_KEYS_MAGIC, type KeptKeysEntry, type KeptKeysHead, type KeptKeysRef } from './kept-keys-file.js';

const MAGIC = Buffer.from(KEPT_KEYS_MAGIC, 'latin1');
const DIGEST = KEPT_KEYS_DIGEST_BYTES;
/** Blocks read at a time (1 MiB). */
const READ_BLOCKS = 16;
/** Largest head accepted (bounds what a damaged length field can make the reader allocate). */
const MAX_HEAD_JSON = 16 << 20;

/** One entry of an opened file, with its index. */
export interface OpenEntry extends KeptKeysEntry {
  readonly classIds: Int32Array;
  readonly ends: Uint32Array;
}

/** Reads `length` bytes at `position` of an open file. */
function readAt(fd: number, file: string, length: number, position: number): Buffer {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) throw new InputError(`kept-keys file ended early (at byte ${position + got})`, { file });
    got += n;
  }
  return buf;
}

/**
 * A shard's kept-keys file, its head checked against the state's record; its keys are read
 * bin by bin ({@link KeptKeysFile.read}), each block checked against its digest.
 */
export class KeptKeysFile {
  readonly path: string;
  readonly entries: readonly OpenEntry[];
  /** Bytes of keys read so far (blocks included whole). */
  bytesRead = 0;
  readonly #digests: Buffer;
  readonly #dataStart: number;
  readonly #dataBytes: number;
  readonly #blockBytes: number;
  readonly #why: string;

  /**
   * Opens `path` as the file `ref` (a state header's `keys`) names; `state` names the state file in messages.
   * @throws InputError naming the file when it is not the one the state recorded (stale, foreign, damaged).
   */
  constructor(path: string, ref: KeptKeysRef, state: string) {
    this.path = path;
    this.#why = `not the kept-keys file ${state} recorded (stale, from another run, or damaged); rerun that shard, or remove this file to let the merge read the inputs`;
    let size: number;
    try {
      size = statSync(path).size;
    } catch (err) {
      throw new InputError(`cannot read the kept-keys file of ${state}: ${err instanceof Error ? err.message : String(err)}`, { file: path });
    }
    if (size !== ref.bytes) throw this.#refuse(`${size} bytes, ${ref.bytes} recorded`);
    const fd = openSync(path, 'r');
    try {
      const start = readAt(fd, path, Math.min(size, MAGIC.length + 4), 0);
      if (start.length < MAGIC.length + 4 || !start.subarray(0, MAGIC.length).equals(MAGIC)) throw this.#refuse(`it does not start with ${KEPT_KEYS_MAGIC}`);
      const jsonLength = start.readUInt32LE(MAGIC.length);
      if (jsonLength > MAX_HEAD_JSON || MAGIC.length + 4 + jsonLength > size) throw this.#refuse('head length out of range');
      const json = readAt(fd, path, jsonLength, MAGIC.length + 4);
      let head: KeptKeysHead;
      try {
        head = JSON.parse(json.toString('utf8')) as KeptKeysHead;
      } catch {
        throw this.#refuse('its head is not JSON');
      }
      if (!wellFormed(head)) throw this.#refuse('its head lacks entries, keys or block size');
      const indexBytes = head.entries.reduce((a, e) => a + 8 * e.classes, 0);
      this.#blockBytes = head.blockBytes;
      this.#dataBytes = 2 * head.keys;
      const digestBytes = Math.ceil(this.#dataBytes / this.#blockBytes) * DIGEST;
      this.#dataStart = MAGIC.length + 4 + jsonLength + indexBytes + digestBytes;
      if (this.#dataStart + this.#dataBytes !== size) throw this.#refuse(`${size} bytes, its head describes ${this.#dataStart + this.#dataBytes}`);
      const rest = readAt(fd, path, indexBytes + digestBytes, MAGIC.length + 4 + jsonLength);
      const sha = createHash('sha256').update(start).update(json).update(rest).digest('hex');
      if (sha !== ref.sha256) throw this.#refuse('checksum mismatch');
      let at = 0;
      this.entries = head.entries.map((e) => {
        const classIds = new Int32Array(rest.buffer.slice(rest.byteOffset + at, rest.byteOffset + at + 4 * e.classes));
        const ends = new Uint32Array(rest.buffer.slice(rest.byteOffset + at + 4 * e.classes, rest.byteOffset + at + 8 * e.classes));
        at += 8 * e.classes;
        if (e.at + e.rows > head.keys || (ends[ends.length - 1] ?? 0) !== e.rows) throw this.#refuse(`entry ${e.metric}${e.path} out of range`);
        return { ...e, classIds, ends };
      });
      this.#digests = rest.subarray(indexBytes);
    } finally {
      closeSync(fd);
    }
  }

  #refuse(detail: string): InputError {
    return new InputError(`${this.#why} (${detail})`, { file: this.path });
  }

  /**
   * The keys of `entry`'s classes of `bins` (both labels) as one kept run (classes ascending):
   * reads only the blocks holding them, each checked against its digest.
   * @throws InputError naming the file when a block's digest differs (damaged since written).
   */
  read(entry: OpenEntry, bins: Int32Array): KeptRun {
    const wanted: number[] = [];
    for (const b of bins) {
      for (const c of [2 * b, 2 * b + 1]) if (sortedIndexOf(entry.classIds, c) >= 0) wanted.push(c);
    }
    // Ascending, each class once (a bin given twice is read once).
    const classes = Int32Array.from(new Set(wanted)).sort();
    const ends = new Uint32Array(classes.length);
    // Byte ranges [from, to) in the keys and where each goes in the run.
    const from = new Float64Array(classes.length);
    let total = 0;
    classes.forEach((c, j) => {
      const x = sortedIndexOf(entry.classIds, c);
      const start = x === 0 ? 0 : (entry.ends[x - 1] as number);
      const stop = entry.ends[x] as number;
      from[j] = 2 * (entry.at + start);
      total += stop - start;
      ends[j] = total;
    });
    const keys = new Uint16Array(new SharedArrayBuffer(2 * total));
    const out = new Uint8Array(keys.buffer);
    if (total === 0) return { keys, classes, ends };
    const fd = openSync(this.path, 'r');
    try {
      let r0 = 0;
      for (const [first, count] of this.#blockRuns(classes, from, ends)) {
        const lo = first * this.#blockBytes;
        const hi = Math.min(this.#dataBytes, (first + count) * this.#blockBytes);
        const chunk = readAt(fd, this.path, hi - lo, this.#dataStart + lo);
        this.bytesRead += hi - lo;
        for (let k = 0; k < count; k++) {
          const block = chunk.subarray(k * this.#blockBytes, (k + 1) * this.#blockBytes);
          const want = this.#digests.subarray((first + k) * DIGEST, (first + k + 1) * DIGEST);
          if (!createHash('sha256').update(block).digest().equals(want)) throw this.#refuse(`block ${first + k} of its keys fails its checksum`);
        }
        const rangeEnd = (j: number): number => (from[j] as number) + 2 * ((ends[j] as number) - (j === 0 ? 0 : (ends[j - 1] as number)));
        while (r0 < classes.length && rangeEnd(r0) <= lo) r0++;
        for (let j = r0; j < classes.length && (from[j] as number) < hi; j++) {
          const a = Math.max(lo, from[j] as number);
          const b = Math.min(hi, rangeEnd(j));
          const dest = 2 * (j === 0 ? 0 : (ends[j - 1] as number)) + (a - (from[j] as number));
          out.set(chunk.subarray(a - lo, b - lo), dest);
        }
      }
    } finally {
      closeSync(fd);
    }
    return { keys, classes, ends };
  }

  /** The blocks holding the wanted ranges, as runs [first block, count] of at most READ_BLOCKS. */
  #blockRuns(classes: Int32Array, from: Float64Array, ends: Uint32Array): [number, number][] {
    const runs: [number, number][] = [];
    let last = -1;
    for (let j = 0; j < classes.length; j++) {
      const len = 2 * ((ends[j] as number) - (j === 0 ? 0 : (ends[j - 1] as number)));
      if (len === 0) continue;
      const a = Math.floor((from[j] as number) / this.#blockBytes);
      const b = Math.floor(((from[j] as number) + len - 1) / this.#blockBytes);
      for (let k = Math.max(a, last + 1); k <= b; k++) {
        const run = runs[runs.length - 1];
        if (run !== undefined && run[0] + run[1] === k && run[1] < READ_BLOCKS) run[1]++;
        else runs.push([k, 1]);
        last = k;
      }
    }
    return runs;
  }

  /**
   * Reads and checks every block (a map step's rerun asks whether its file is intact).
   * @throws InputError naming the file as {@link read} does.
   */
  checkAll(): void {
    const fd = openSync(this.path, 'r');
    try {
      const blocks = Math.ceil(this.#dataBytes / this.#blockBytes);
      for (let first = 0; first < blocks; first += READ_BLOCKS) {
        const lo = first * this.#blockBytes;
        const hi = Math.min(this.#dataBytes, (first + READ_BLOCKS) * this.#blockBytes);
        const chunk = readAt(fd, this.path, hi - lo, this.#dataStart + lo);
        for (let k = 0; k * this.#blockBytes < chunk.length; k++) {
          const want = this.#digests.subarray((first + k) * DIGEST, (first + k + 1) * DIGEST);
          if (
            !createHash('sha256')
              .update(chunk.subarray(k * this.#blockBytes, (k + 1) * this.#blockBytes))
              .digest()
              .equals(want)
          )
            throw this.#refuse(`block ${first + k} of its keys fails its checksum`);
        }
      }
    } finally {
      closeSync(fd);
    }
  }
}

/** Whether a parsed head has the fields this version writes, as whole numbers. */
function wellFormed(head: KeptKeysHead): boolean {
  const entries = head.entries as unknown;
  const count = (x: unknown): boolean => Number.isSafeInteger(x) && (x as number) >= 0;
  return (
    head.blockBytes === KEPT_KEYS_BLOCK_BYTES &&
    count(head.keys) &&
    Array.isArray(entries) &&
    (entries as unknown[]).every((e) => {
      const x = e as Partial<KeptKeysEntry> | null;
      return typeof x?.metric === 'string' && typeof x.path === 'string' && count(x.rows) && count(x.classes) && count(x.at);
    })
  );
}
