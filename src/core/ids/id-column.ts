/**
 * Sample ids that are not held as a `string[]`: a column that decodes the id of a row when asked.
 * A dataset built on one orders and shards row indices (see `streams/index-permutation.ts`) and decodes
 * an id only when its sample is made, so 10^8 ids cost no 10^8 strings. Two kinds ship: an
 * Arrow vector already in memory ({@link idsFromArrowVector}) and an Arrow IPC file read by row
 * (`idsFromArrowFile`).
 * Id columns live in core, not streams, because the sharded cache fill (src/cache/sharded) reads
 * them too and the cache layer must not import streams (test/architecture/folder-cycles.test.ts).
 */
import { Type, type DataType, type Vector } from 'apache-arrow';
import { InputError, OptionsError } from '../errors.js';

/** Ids by row index, decoded on demand. */
export interface IdColumn {
  /** Number of ids (rows). */
  readonly length: number;
  /** Where the ids come from, for messages (e.g. `ids.arrow, column 'id'`). */
  readonly label: string;
  /**
   * The id of row `row` (`0 ≤ row < length`).
   * @throws {InputError} naming the row when it holds no id (a null).
   */
  at(row: number): string;
  /** The first row holding `id`, or -1. Optional: without it a lookup calls `at` on every row. */
  indexOf?(id: string): number;
  /**
   * Every id in row order, read a bounded chunk at a time (one pass over the column in bounded
   * memory). Optional: without it {@link scanIds} calls `at` on each row. Throws as `at` does.
   */
  scan?(): Iterable<string>;
}

/** The sample ids a dataset accepts: in memory, or a column decoded by row. */
export type SampleIds = readonly string[] | IdColumn;

/** True for an {@link IdColumn} (anything with a numeric `length` and an `at` that is not an array). */
export function isIdColumn(ids: SampleIds): ids is IdColumn {
  return !Array.isArray(ids);
}

/**
 * The first row of `ids` holding `id`, or -1: the column's own `indexOf` when it has one, else a
 * scan over `at` (O(n) decodes; a dataset calls it only for `get`/`getAll`).
 */
export function indexOfId(ids: IdColumn, id: string): number {
  if (ids.indexOf !== undefined) return ids.indexOf(id);
  for (let row = 0; row < ids.length; row++) if (ids.at(row) === id) return row;
  return -1;
}

/**
 * Every id of `ids` in row order: a `string[]` as it is, a column through its `scan` when it has
 * one (bounded memory), else `at` on each row.
 * @example for (const id of scanIds(idsFromArrowFile('ids.arrow'))) count++;
 */
export function scanIds(ids: SampleIds): Iterable<string> {
  if (!isIdColumn(ids)) return ids;
  if (ids.scan !== undefined) return ids.scan();
  return (function* rows(): Generator<string> {
    for (let row = 0; row < ids.length; row++) yield ids.at(row);
  })();
}

/**
 * The ids of an Arrow vector in memory (a table's column): Utf8, LargeUtf8 or integer values,
 * integers written in decimal. Values stay in the vector's buffers until a row is asked for.
 * @example
 * const table = tableFromIPC(readFileSync('ids.arrow'));
 * const ds = dataset({ ids: idsFromArrowVector(table.getChild('id')!, "ids.arrow, column 'id'") });
 * @throws {OptionsError} for a vector of another type; `at` throws an InputError for a null row.
 */
export function idsFromArrowVector(vector: Vector, label = 'Arrow vector'): IdColumn {
  const type: DataType = vector.type as DataType;
  const typeId = type.typeId;
  if (typeId !== Type.Utf8 && typeId !== Type.LargeUtf8 && typeId !== Type.Int) {
    throw new OptionsError(`idsFromArrowVector: ${label} holds ${(vector.type as { toString(): string }).toString()}; sample ids must be Utf8, LargeUtf8 or integers`);
  }
  const n = vector.length;
  return {
    length: n,
    label,
    at: (row) => {
      if (!Number.isInteger(row) || row < 0 || row >= n) throw new RangeError(`${label}: row ${String(row)} is outside [0, ${n})`);
      const value: unknown = vector.get(row);
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'bigint') return value.toString();
      throw new InputError(`${label}: row ${row} holds no sample id (null)`);
    },
  };
}
