/**
 * The kept-keys file a map shard writes beside its state (`STATE.keys`): the 16-bit keys its score
 * histograms kept in the first pass (histogram-kept.ts: the low half of each row's order-preserving
 * float32 pattern, grouped by bin and class), so that `fuseflow eval merge` refines AUC/AP
 * exactly from them instead of reading every input again. An index of each histogram's (bin,
 * class) segments lets the merge read only the segments of the bins one refinement pass
 * planned: its memory is those keys, bounded by the metric's budget as a pass over the input is.
 *
 * Layout: the 8 bytes `FFKEYS01`; a 4-byte little-endian length and the head as UTF-8 JSON
 * ({@link KeptKeysHead}); per entry its classes (int32, `bin * 2 + label`, ascending) and the end
 * of each class's keys (uint32, from the entry's start); the SHA-256 of each block of
 * {@link KEPT_KEYS_BLOCK_BYTES} bytes of the keys; the keys (uint16, little-endian), entry after
 * entry (two entries with equal keys, e.g. AUC's and AP's histograms of one score, share theirs).
 *
 * Binding: the state file records this file's name, size and the SHA-256 of everything before
 * the keys ({@link KeptKeysRef}), which holds the block digests; a reader checks the head against
 * the record and every block it reads against its digest, so a stale, foreign or damaged file is
 * refused naming it, never used (kept-keys-reader.ts). Written atomically (src/core/safe-fs.ts) and
 * only by little-endian hosts (every host Node supports today); a big-endian reader does not use one.
 */
import { createHash } from 'node:crypto';
import { closeSync, lstatSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { basename } from 'node:path';
import { checkOutputTarget, OutputError, outputErrorOf, writeFileAtomic } from '../../core/safe-fs.js';

/** Magic and version of a kept-keys file. */
export const KEPT_KEYS_MAGIC = 'FFKEYS01';
const MAGIC = Buffer.from(KEPT_KEYS_MAGIC, 'latin1');
/** Bytes of keys per checksummed block (the unit a reader reads and checks). */
export const KEPT_KEYS_BLOCK_BYTES = 1 << 16;
/** Bytes of a block's SHA-256. */
export const KEPT_KEYS_DIGEST_BYTES = 32;
const DIGEST = KEPT_KEYS_DIGEST_BYTES;

/** Whether this host writes and reads kept-keys files (little-endian keys). */
export const KEPT_KEYS_HOST = endianness() === 'LE';

/** What a state header records about its kept-keys file (field `keys`). */
export interface KeptKeysRef {
  /** The file's name, in the state file's folder. */
  readonly file: string;
  readonly bytes: number;
  /** SHA-256 of the file up to its keys (head, index, block digests), hex. */
  readonly sha256: string;
  /** Histograms whose keys it holds. */
  readonly entries: number;
}

/** One histogram's keys: which metric state, where in it, and where its keys are. */
export interface KeptKeysEntry {
  readonly metric: string;
  /** The histogram's path inside the metric's state ('' when the state is the histogram). */
  readonly path: string;
  readonly rows: number;
  /** Classes present (length of its index arrays). */
  readonly classes: number;
  /** Offset of its keys in the file's keys, in keys. */
  readonly at: number;
}

/** The JSON head of a kept-keys file. */
export interface KeptKeysHead {
  readonly blockBytes: number;
  /** Keys stored (entries sharing keys count once). */
  readonly keys: number;
  readonly entries: readonly KeptKeysEntry[];
}

/** One histogram's keys grouped by class, as written. */
export interface GroupedKeys {
  readonly metric: string;
  readonly path: string;
  readonly classes: Int32Array;
  readonly ends: Uint32Array;
  readonly keys: Uint16Array;
}

/** Byte view of a typed array. */
function bytesOf(a: Int32Array | Uint32Array | Uint16Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function sameKeys(a: GroupedKeys, b: GroupedKeys): boolean {
  return (
    Buffer.compare(bytesOf(a.classes), bytesOf(b.classes)) === 0 && Buffer.compare(bytesOf(a.ends), bytesOf(b.ends)) === 0 && Buffer.compare(bytesOf(a.keys), bytesOf(b.keys)) === 0
  );
}

/** SHA-256 of each `blockBytes` of the concatenated `parts`. */
function blockDigests(parts: readonly Uint8Array[], blockBytes: number): Buffer {
  const total = parts.reduce((a, p) => a + p.byteLength, 0);
  const out = Buffer.alloc(Math.ceil(total / blockBytes) * DIGEST);
  let hash = createHash('sha256');
  let inBlock = 0;
  let block = 0;
  for (const part of parts) {
    for (let at = 0; at < part.byteLength;) {
      const n = Math.min(blockBytes - inBlock, part.byteLength - at);
      hash.update(part.subarray(at, at + n));
      at += n;
      inBlock += n;
      if (inBlock === blockBytes) {
        hash.digest().copy(out, DIGEST * block++);
        hash = createHash('sha256');
        inBlock = 0;
      }
    }
  }
  if (inBlock > 0) hash.digest().copy(out, DIGEST * block);
  return out;
}

/**
 * Refuses a target that is not this shard's to replace: an existing kept-keys file is replaced
 * (derived data), anything else only with `overwrite`.
 * @throws OutputError naming the target.
 */
export function checkKeptKeysTarget(target: string, overwrite: boolean): void {
  const ours = isKeptKeysFile(target);
  try {
    checkOutputTarget(target, { overwrite: overwrite || ours });
  } catch (err) {
    if (err instanceof OutputError && !ours) throw new OutputError(target, `${err.message.slice(target.length + 2)} (the kept-keys file of the state file beside it)`);
    throw err;
  }
}

/** Whether `file` is a regular file starting with the kept-keys magic. */
export function isKeptKeysFile(file: string): boolean {
  try {
    if (!lstatSync(file).isFile()) return false;
    const fd = openSync(file, 'r');
    try {
      const head = Buffer.alloc(MAGIC.length);
      return readSync(fd, head, 0, head.length, 0) === head.length && head.equals(MAGIC);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw outputErrorOf(file, err, 'cannot inspect');
  }
}

/**
 * Writes the histograms' grouped keys to `target` atomically (after {@link checkKeptKeysTarget});
 * returns the record for the state header.
 * @throws OutputError naming the target.
 */
export function writeKeptKeysFile(target: string, groups: readonly GroupedKeys[], overwrite: boolean): KeptKeysRef {
  checkKeptKeysTarget(target, overwrite);
  const entries: KeptKeysEntry[] = [];
  const data: Uint8Array[] = [];
  let keys = 0;
  groups.forEach((g, i) => {
    const twin = groups.findIndex((o, j) => j < i && (o.keys === g.keys || sameKeys(o, g)));
    const at = twin >= 0 ? (entries[twin] as KeptKeysEntry).at : keys;
    if (twin < 0) {
      data.push(bytesOf(g.keys));
      keys += g.keys.length;
    }
    entries.push({ metric: g.metric, path: g.path, rows: g.keys.length, classes: g.classes.length, at });
  });
  const head: KeptKeysHead = { blockBytes: KEPT_KEYS_BLOCK_BYTES, keys, entries };
  const json = Buffer.from(JSON.stringify(head), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length);
  const index = groups.flatMap((g) => [bytesOf(g.classes), bytesOf(g.ends)]);
  const front = [MAGIC, length, json, ...index, blockDigests(data, KEPT_KEYS_BLOCK_BYTES)];
  const sha = createHash('sha256');
  for (const p of front) sha.update(p);
  const parts = [...front, ...data];
  writeFileAtomic(target, parts, { overwrite: true });
  return { file: basename(target), bytes: parts.reduce((a, p) => a + p.byteLength, 0), sha256: sha.digest('hex'), entries: entries.length };
}
