/**
 * The file one shard of a map/merge evaluation writes (`fuseflow eval … --shard i/N --state-out
 * FILE`) and `fuseflow eval merge` reads: the metric states of the shard's rows after the first
 * pass, with what is needed to check that shards belong together.
 *
 * Layout: the 8 bytes `FFEVST01` (format and version), a 4-byte little-endian header length,
 * the header as UTF-8 JSON, the states serialized by `node:v8` (plain objects, arrays, Maps,
 * Sets, typed arrays; class instances of {@link tagClasses} tagged and revived) and deflated
 * at level 1 (score histograms are mostly empty bins: a shard's AUC state shrinks from 2 MB to tens of KB),
 * then the SHA-256 of everything before it (32 bytes). Written atomically (temp file, then rename).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { constants as bufferConstants } from 'node:buffer';
import { deserialize, serialize } from 'node:v8';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { InputError } from '../../core/errors.js';
import { writeFileAtomic } from '../../core/safe-fs.js';
import { reviveClasses, tagClasses } from '../parallel/state-codec.js';

/** Magic and version of the format; a reader refuses any other. */
export const STATE_FILE_MAGIC = 'FFEVST01';
const MAGIC_BYTES = Buffer.from(STATE_FILE_MAGIC, 'latin1');
const DIGEST_BYTES = 32;
/** Largest header accepted (bounds what a damaged length field can make the reader allocate). */
const MAX_HEADER_BYTES = 64 << 20;

/**
 * What a state file holds: `map`, one shard's first-pass states (also a file without `kind`);
 * `plan`, every shard's states of a round merged, before planning the refinement round they ask
 * for (written by `eval merge --next-pass-out`); `pass`, one shard's pass states of such a round
 * (`eval … --pass PLAN --state-out`).
 */
export type StateFileKind = 'map' | 'plan' | 'pass';

/** What a state file records besides the states. */
export interface StateFileHeader {
  /** What the file holds; absent: `map`. */
  readonly kind?: StateFileKind;
  /** Everything that must be equal in every shard of one run: metric set and options, inputs, scores. JSON data. */
  readonly run: unknown;
  /** Metric names in state order (a pass file: the metrics that asked for the pass). */
  readonly metrics: readonly string[];
  /** This shard: index and count (a plan: index 0, the run's shard count). */
  readonly shard: { readonly index: number; readonly count: number };
  /** Rows the shard read (a plan: the rows of every shard). */
  readonly rows: number;
  /** Plan and pass files: the round (2: the first extra pass after the map step). */
  readonly round?: number;
  /** Plan files: no metric asks for another pass (the states are final). Pass files: written for such a plan, holding no states. */
  readonly complete?: boolean;
  /** Plan files: what each pending pass does (information). */
  readonly passes?: readonly string[];
  /** Pass files: the plan they ran, by absolute path and checksum (`digest` of the plan file). */
  readonly plan?: { readonly path: string; readonly digest: string };
  /** The files (and record batches) the shard read, for messages. */
  readonly share: readonly unknown[];
  /** Join counts of the shard's rows (inputs checked by id), when there were. */
  readonly join?: unknown;
  /** Map files of a run by --id: the shard's sorted id digest file (src/eval/shard/id-digests.ts IdDigestRef). */
  readonly ids?: unknown;
  /** Map files whose score histograms kept all their rows: the shard's kept-keys file (src/eval/shard/kept-keys-file.ts KeptKeysRef). */
  readonly keys?: unknown;
  /** fuseflow and Node versions that wrote the file (information). */
  readonly writer: string;
}

/** A state file read back. */
export interface StateFile {
  readonly file: string;
  readonly header: StateFileHeader;
  /** One state per metric, in `header.metrics` order. */
  readonly states: unknown[];
  /** The file's SHA-256 checksum (its last 32 bytes), hex: names this exact file. */
  readonly digest: string;
}

/**
 * Encodes and writes a state file atomically; `overwrite` allows replacing an existing file
 * (a shard rerun after a kill writes the same bytes again).
 * @throws OutputError naming the file when it cannot be written (or exists without `overwrite`).
 */
export function writeStateFile(file: string, header: StateFileHeader, states: readonly unknown[], options: { readonly overwrite: boolean }): void {
  writeFileAtomic(file, encodeStateFile(header, states), { overwrite: options.overwrite });
}

/** The bytes of a state file. */
export function encodeStateFile(header: StateFileHeader, states: readonly unknown[]): Uint8Array {
  const head = Buffer.from(JSON.stringify(header), 'utf8');
  // Tagged without the fused refinement's kept rows (2 bytes a row, this process's only): a
  // 2.5·10^6-row shard's file would grow from ~18 KB to ~10 MB of incompressible keys.
  const untag = states.map((s, m) => tagClasses(s, header.metrics[m] ?? String(m)));
  let payload: Buffer;
  try {
    // Level 1: a 10^7-row shard's ~4 MB of states deflate in ~7 ms instead of ~22 ms at level 6 (to ~32 KB, not ~17 KB); every shard pays it.
    payload = deflateRawSync(serialize(states), { level: 1 });
  } finally {
    for (const u of untag) u();
  }
  const length = Buffer.alloc(4);
  length.writeUInt32LE(head.length);
  const body = Buffer.concat([MAGIC_BYTES, length, head, payload]);
  const digest = createHash('sha256').update(body).digest();
  return Buffer.concat([body, digest]);
}

/**
 * Reads and checks a state file.
 * @throws InputError naming the file: not a state file, another format version, truncated or
 *   altered (checksum), or a header without the fields this version writes.
 */
export function readStateFile(file: string): StateFile {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new InputError(`cannot read the state file: ${err instanceof Error ? err.message : String(err)}`, { file });
  }
  return decodeStateFile(bytes, file);
}

/** Decodes the bytes of a state file (see {@link readStateFile}). */
export function decodeStateFile(bytes: Uint8Array, file: string): StateFile {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < MAGIC_BYTES.length || !buf.subarray(0, 6).equals(MAGIC_BYTES.subarray(0, 6)))
    throw new InputError('not a fuseflow evaluation state file (written by fuseflow eval --state-out)', { file });
  const version = buf.subarray(0, MAGIC_BYTES.length).toString('latin1');
  if (version !== STATE_FILE_MAGIC)
    throw new InputError(`state file format ${version.slice(6)} is not the format this fuseflow reads (${STATE_FILE_MAGIC.slice(6)}); rerun the shards with this version`, {
      file,
    });
  if (buf.length < MAGIC_BYTES.length + 4 + DIGEST_BYTES) throw new InputError('state file is truncated', { file });
  const body = buf.subarray(0, buf.length - DIGEST_BYTES);
  const digest = createHash('sha256').update(body).digest();
  if (!digest.equals(buf.subarray(buf.length - DIGEST_BYTES))) throw new InputError('state file is damaged or truncated (checksum mismatch); rerun its shard', { file });
  const headLength = buf.readUInt32LE(MAGIC_BYTES.length);
  const headStart = MAGIC_BYTES.length + 4;
  if (headLength > MAX_HEADER_BYTES || headStart + headLength > body.length) throw new InputError('state file header length is out of range', { file });
  let header: StateFileHeader;
  let states: unknown;
  try {
    header = JSON.parse(body.subarray(headStart, headStart + headLength).toString('utf8')) as StateFileHeader;
    // Bounded by the largest buffer Node can hold; the checksum has already vouched for the bytes.
    states = deserialize(inflateRawSync(body.subarray(headStart + headLength), { maxOutputLength: bufferConstants.MAX_LENGTH }));
  } catch (err) {
    throw new InputError(`state file cannot be decoded: ${err instanceof Error ? err.message : String(err)}`, { file });
  }
  const shard = header.shard as { index?: unknown; count?: unknown } | undefined;
  if (!Array.isArray(header.metrics) || !Array.isArray(states) || states.length !== header.metrics.length || typeof shard?.index !== 'number' || typeof shard.count !== 'number')
    throw new InputError('state file header lacks its metrics or shard, or holds another number of states', { file });
  if (header.kind !== undefined && !['map', 'plan', 'pass'].includes(header.kind))
    throw new InputError(`state file of kind '${String(header.kind)}', which this fuseflow does not know (map, plan or pass)`, { file });
  return { file, header, states: (states as unknown[]).map((s) => reviveClasses(s)), digest: digest.toString('hex') };
}
