/**
 * Reading a manifest back into the entry summaries it was built from (initial id, status, each
 * output's id, payload size, fields and shapes), so `cache commit` can rebuild the combined
 * manifest of all shards with the same `buildManifest` a single cache uses: same rows, same order,
 * same column types. Fields are never null in an entry, so a null cell means "absent"; a column
 * whose values were mixed comes back as the strings it held, which `buildManifest` keeps as is.
 */
import type { Table, Vector } from 'apache-arrow';
import { InputError } from '../../core/errors.js';
import type { CacheEntry, OutputSummary } from '../cache-entry.js';
import { MANIFEST_COLUMNS } from '../manifest.js';

/** The part of a cache entry a manifest records. */
export type ManifestEntry = Pick<CacheEntry, 'initialId' | 'status' | 'outputs'>;

const isScalar = (v: unknown): v is number | string | boolean => typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean';

/** The column `name` of `table` (one of the fixed ones, present: readManifest checked). */
function column(table: Table, name: string, file: string): Vector {
  const col = table.getChild(name);
  if (col === null) throw new InputError(`manifest column '${name}' is missing`, { file });
  return col;
}

/**
 * The entries of a manifest table, in its row order (by initial id, then output order).
 * @example const entries = manifestEntries(readManifest(path), path);
 * @throws {InputError} naming `file` when a row breaks the manifest's layout.
 */
export function manifestEntries(table: Table, file: string): ManifestEntry[] {
  const fixed = new Set<string>(MANIFEST_COLUMNS);
  const [initial, ids, ordinal, status, bytes] = MANIFEST_COLUMNS.map((c) => column(table, c, file)) as [Vector, Vector, Vector, Vector, Vector];
  const names = table.schema.fields.map((f) => f.name).filter((n) => !fixed.has(n));
  const fieldCols = names.filter((n) => !n.endsWith(':shape')).map((n) => [n, column(table, n, file)] as const);
  const shapeCols = names.filter((n) => n.endsWith(':shape')).map((n) => [n.slice(0, -':shape'.length), column(table, n, file)] as const);
  const entries: ManifestEntry[] = [];
  let current: { initialId: string; status: 'ok' | 'dropped'; outputs: OutputSummary[] } | undefined;
  for (let row = 0; row < table.numRows; row++) {
    const id: unknown = initial.get(row);
    const rowStatus: unknown = status.get(row);
    if (typeof id !== 'string') throw new InputError(`row ${row}: no initialSampleId`, { file });
    if (rowStatus === 'dropped') {
      entries.push({ initialId: id, status: 'dropped', outputs: [] });
      current = undefined;
      continue;
    }
    const sampleId: unknown = ids.get(row);
    const size: unknown = bytes.get(row);
    if (rowStatus !== 'ok' || typeof sampleId !== 'string' || typeof size !== 'number')
      throw new InputError(`row ${row} ('${id}'): not an ok row with a sample id and size`, { file });
    if (current?.initialId !== id) {
      current = { initialId: id, status: 'ok', outputs: [] };
      entries.push(current);
    }
    if (ordinal.get(row) !== current.outputs.length) throw new InputError(`row ${row} ('${id}'): output ordinal out of order`, { file });
    const fields: Record<string, number | string | boolean> = {};
    for (const [name, col] of fieldCols) {
      const v: unknown = col.get(row);
      if (isScalar(v)) fields[name] = v;
    }
    const shapes: Record<string, readonly number[]> = {};
    for (const [name, col] of shapeCols) {
      const v: unknown = col.get(row);
      if (v !== null && v !== undefined) shapes[name] = Array.from((v as Vector).toArray() as Int32Array);
    }
    current.outputs.push({ sampleId, bytes: size, fields, shapes });
  }
  return entries;
}
