/**
 * The cache manifest: one Arrow row per output sample (plus one per dropped initial sample), so
 * ids, labels, shapes and sizes can be queried without touching payloads — e.g. the labels a
 * class-balanced sampler needs. It is derived from the LMDB entries (the source of truth) and
 * written atomically (temp → fsync → rename through safe-fs; the temp is removed on failure), with
 * the SHA-256 of its bytes beside it (`manifest.arrow.sha256`), checked before Arrow parses it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Bool, Field, Float64, Int32, List, Table, Utf8, tableFromIPC, tableToIPC, vectorFromArray, type DataType, type Vector } from 'apache-arrow';
import { InputError } from '../core/errors.js';
import { writeFileAtomic } from '../core/safe-fs.js';
import type { CacheEntry } from './cache-entry.js';

/** Fixed columns; field columns are named by key path, shape columns `<path>:shape`. */
export const MANIFEST_COLUMNS = ['initialSampleId', 'sampleId', 'ordinal', 'status', 'payloadBytes'] as const;

/**
 * Builds the manifest table, rows sorted by initial id then output order (so it does not depend on
 * the order in which parallel workers filled the cache).
 * @example const labels = buildManifest(entries).getChild('data.label')?.toArray();
 */
export function buildManifest(entries: Iterable<Pick<CacheEntry, 'initialId' | 'status' | 'outputs'>>): Table {
  const sorted = [...entries].sort((a, b) => (a.initialId < b.initialId ? -1 : a.initialId > b.initialId ? 1 : 0));
  const initial: string[] = [];
  const ids: (string | null)[] = [];
  const ordinal: number[] = [];
  const status: string[] = [];
  const bytes: (number | null)[] = [];
  const fields = new Map<string, unknown[]>();
  const shapes = new Map<string, (number[] | null)[]>();
  let row = 0;
  const put = <T>(cols: Map<string, (T | null)[]>, key: string, value: T): void => {
    let col = cols.get(key);
    if (col === undefined) {
      col = new Array<T | null>(row).fill(null);
      cols.set(key, col);
    }
    col.push(value);
  };
  const endRow = (): void => {
    row++;
    for (const col of fields.values()) if (col.length < row) col.push(null);
    for (const col of shapes.values()) if (col.length < row) col.push(null);
  };
  for (const e of sorted) {
    if (e.status === 'dropped' || e.outputs.length === 0) {
      initial.push(e.initialId);
      ids.push(null);
      ordinal.push(-1);
      status.push('dropped');
      bytes.push(null);
      endRow();
      continue;
    }
    e.outputs.forEach((o, i) => {
      initial.push(e.initialId);
      ids.push(o.sampleId);
      ordinal.push(i);
      status.push('ok');
      bytes.push(o.bytes);
      for (const [k, v] of Object.entries(o.fields)) put(fields, k, v);
      for (const [k, v] of Object.entries(o.shapes)) put(shapes, `${k}:shape`, [...v]);
      endRow();
    });
  }
  const columns: Record<string, Vector> = {
    initialSampleId: vectorFromArray(initial, new Utf8()),
    sampleId: vectorFromArray(ids, new Utf8()),
    ordinal: vectorFromArray(ordinal, new Int32()),
    status: vectorFromArray(status, new Utf8()),
    payloadBytes: vectorFromArray(bytes, new Float64()),
  };
  for (const [k, col] of [...fields.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if ((MANIFEST_COLUMNS as readonly string[]).includes(k)) continue;
    columns[k] = fieldVector(col);
  }
  for (const [k, col] of [...shapes.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    columns[k] = vectorFromArray(col, new List(new Field('dim', new Int32(), false)));
  }
  return new Table(columns);
}

/** Numbers → Float64, booleans → Bool, strings (or a mix) → Utf8 (mixed values as JSON). */
function fieldVector(col: readonly unknown[]): Vector {
  const present = col.filter((v) => v !== null);
  let type: DataType = new Utf8();
  if (present.every((v) => typeof v === 'number')) type = new Float64();
  else if (present.every((v) => typeof v === 'boolean')) type = new Bool();
  else if (!present.every((v) => typeof v === 'string')) {
    return vectorFromArray(
      col.map((v) => (v === null || typeof v === 'string' ? v : JSON.stringify(v))),
      new Utf8(),
    );
  }
  return vectorFromArray(col as unknown[], type);
}

/** The file beside a manifest that holds the SHA-256 of its bytes (Arrow itself has no checksum). */
export const manifestDigestFile = (path: string): string => `${path}.sha256`;

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * Writes `table` as an Arrow IPC file at `path` atomically, replacing an older manifest (never
 * through a symbolic link), and the SHA-256 of its bytes to `<path>.sha256` (also atomically), so
 * {@link readManifest} refuses damaged bytes before Arrow parses them.
 * @throws {OutputError} naming the file (full disk, read-only, …); temp files are removed.
 */
export function writeManifest(path: string, table: Table): void {
  const bytes = tableToIPC(table, 'file');
  writeFileAtomic(path, bytes, { overwrite: true });
  writeFileAtomic(manifestDigestFile(path), `${sha256(bytes)}\n`, { overwrite: true });
}

/**
 * Reads a manifest written by {@link writeManifest}.
 * @throws {InputError} naming the file when it is missing or not a complete Arrow IPC file.
 */
export function readManifest(path: string): Table {
  let bytes: Buffer;
  let digest: string;
  try {
    bytes = readFileSync(path);
    digest = readFileSync(manifestDigestFile(path), 'utf8').trim();
  } catch (err) {
    throw new InputError(`cannot read the manifest or its digest file ${manifestDigestFile(path)} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { file: path });
  }
  if (sha256(bytes) !== digest) {
    throw new InputError(
      `the manifest does not match its SHA-256 in ${manifestDigestFile(path)} (damaged, or a write was interrupted); SampleCache.manifest() rebuilds it from the entries and the next fill rewrites it`,
      { file: path },
    );
  }
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (err) {
    throw new InputError(
      `not a complete Arrow IPC file (${err instanceof Error ? err.message : String(err)}); the manifest is damaged: it is rebuilt from the entries by the next fill`,
      { file: path },
    );
  }
  if (!MANIFEST_COLUMNS.every((c) => table.getChild(c) !== null)) throw new InputError(`not a fuseflow manifest (columns ${MANIFEST_COLUMNS.join(', ')} expected)`, { file: path });
  return table;
}
