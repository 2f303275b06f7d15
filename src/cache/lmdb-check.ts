/**
 * Checks an LMDB data file before lmdb-js maps it: LMDB trusts its file, so a file that is not
 * LMDB, a truncated one or one with damaged meta pages makes the native code read outside the
 * mapping (SIGSEGV/SIGBUS) instead of failing. The checks follow LMDB's own format (mdb.c of
 * the LMDB that lmdb-js builds): pages 0 and 1 are meta pages, each a 24-byte page header
 * (pgno u64, txnid u64, pad u16, flags u16 with P_META = 0x08, lower/upper u16) then MDB_meta:
 * magic u32 = 0xBEEFC0DE, version u32 (low 16 bits = data version 2), address u64, mapsize
 * u64, two MDB_db records of 48 bytes (the first's md_pad is the page size), last_pg u64,
 * txnid u64. Both meta pages must be sound, the page size a power of two in 512…65536, the file
 * a whole number of pages, and every page a meta page points at (the two tree roots, the last
 * used page) must lie inside the file.
 *
 * What remains unchecked: damage inside B-tree pages. Single-bit flips there made lmdb-js return
 * wrong bytes or an MDB_CORRUPTED error in our trials (no crash), and the cache's per-entry
 * checksums turn wrong bytes into an InputError.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { InputError } from '../core/errors.js';

const MDB_MAGIC = 0xbeefc0de;
const MDB_DATA_VERSION = 2;
const P_META = 0x08;
const PAGE_HEADER = 24;
const P_INVALID = 0xffffffffffffffffn;
/** Offsets inside MDB_meta (after the page header). */
const META = { magic: 0, version: 4, psize: 24, freeRoot: 64, mainRoot: 112, lastPage: 120, txnid: 128, end: 144 } as const;

/** One meta page's fields that matter for a safe open. */
interface MetaPage {
  readonly psize: number;
  readonly roots: readonly bigint[];
  readonly lastPage: bigint;
  readonly txnid: bigint;
}

function readMeta(bytes: Buffer, page: number, file: string): MetaPage {
  const bad = (what: string): InputError => new InputError(`not a sound LMDB file: meta page ${page} ${what}`, { file });
  const pgno = bytes.readBigUInt64LE(0);
  const flags = bytes.readUInt16LE(18);
  if ((flags & P_META) === 0) throw bad('is not marked as a meta page');
  if (pgno !== BigInt(page)) throw bad(`says it is page ${pgno}`);
  const m = PAGE_HEADER;
  if (bytes.readUInt32LE(m + META.magic) !== MDB_MAGIC) throw bad('has no LMDB magic number (0xBEEFC0DE)');
  const version = bytes.readUInt32LE(m + META.version) & 0xffff;
  if (version !== MDB_DATA_VERSION) throw bad(`has data format version ${version}, expected ${MDB_DATA_VERSION}`);
  const psize = bytes.readUInt32LE(m + META.psize);
  if (psize < 512 || psize > 65536 || (psize & (psize - 1)) !== 0) throw bad(`has page size ${psize} (expected a power of two from 512 to 65536)`);
  return {
    psize,
    roots: [bytes.readBigUInt64LE(m + META.freeRoot), bytes.readBigUInt64LE(m + META.mainRoot)],
    lastPage: bytes.readBigUInt64LE(m + META.lastPage),
    txnid: bytes.readBigUInt64LE(m + META.txnid),
  };
}

/**
 * Refuses `file` unless it looks like a sound LMDB data file (see the module comment). A missing
 * file passes (LMDB creates it).
 * @example checkLmdbFile('/scratch/cache/3f9c…/cache.mdb');
 * @throws {InputError} naming the file and what is wrong.
 */
export function checkLmdbFile(file: string): void {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new InputError(`cannot open (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { file });
  }
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(PAGE_HEADER + META.end);
    if (size < head.length || readSync(fd, head, 0, head.length, 0) !== head.length) {
      throw new InputError(`not a sound LMDB file: ${size} bytes, too short for its meta pages (truncated or not LMDB)`, { file });
    }
    const first = readMeta(head, 0, file);
    const psize = first.psize;
    if (size < 2 * psize || size % psize !== 0) {
      throw new InputError(`not a sound LMDB file: ${size} bytes is not a whole number (at least 2) of ${psize}-byte pages (truncated)`, { file });
    }
    const second = Buffer.alloc(head.length);
    readSync(fd, second, 0, second.length, psize);
    const metas = [first, readMeta(second, 1, file)];
    const pages = BigInt(size / psize);
    metas.forEach((meta, i) => {
      if (meta.psize !== psize) throw new InputError(`not a sound LMDB file: meta pages disagree on the page size (${psize} vs ${meta.psize})`, { file });
      for (const root of meta.roots) {
        if (root !== P_INVALID && (root < 2n || root >= pages)) {
          throw new InputError(`not a sound LMDB file: meta page ${i} points at page ${root}, outside the file's ${pages} pages (truncated or damaged)`, { file });
        }
      }
      if (meta.lastPage >= pages)
        throw new InputError(`not a sound LMDB file: meta page ${i} says page ${meta.lastPage} is used, the file has ${pages} pages (truncated)`, { file });
    });
  } finally {
    closeSync(fd);
  }
}
