/**
 * Joins several sources row by row on a sample-id column, for inputs larger than memory.
 *
 * Approach: the first source drives; every other source is indexed by id, then the driver
 * streams and each of its rows looks its partners up by id. A second index records the driver's
 * ids to catch duplicates. Each index holds up to `memoryRows` entries in memory (default
 * 1,000,000) and moves to an on-disk LMDB table in a temporary folder beyond that (written one
 * batch per transaction). Memory bound: one batch of each source at a time, plus at most
 * `memoryRows` entries per index, plus LMDB's page cache, which is file-backed and given back
 * under pressure; disk holds the spilled entries. The indexes are built on the first pass and
 * reused by later passes, so only the driver has to be re-readable.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RootDatabase } from 'lmdb';
import { IdIndex, lmdbTable } from './id-index.js';
import { ProgressMeter, type EvalProgress } from '../evaluate-progress.js';
import { FuseflowError, InputError, OptionsError } from '../../core/errors.js';
import { describeOrigin, type EvalSource, type SourceBatch } from './eval-source.js';

/**
 * LMDB's `open`, imported by a join's first scan rather than at module load: every `fuseflow
 * eval` process (each shard of a map/merge run) imports this module, most evaluate no join, and
 * LMDB's load is about 60 ms of a 0.3 s start. Imported (not required) so that a process that
 * also uses the static cache shares its one LMDB instance (a second, CommonJS instance over the
 * one native addon, which keeps process-wide state such as its key buffer, is not worth the risk).
 */
let lmdbOpen: (typeof import('lmdb'))['open'] | undefined;

/** What to do with an id that some source lacks. */
export type MissingPolicy = 'error' | 'skip';

/** Options of {@link joinSources}. */
export interface JoinSourcesOptions {
  /** Id column: one name for every source, or a name per source. Required. */
  readonly id: string | Readonly<Record<string, string>>;
  /** Prefix each column with its source's name (`pred.score`), as FuseMedML does; default true. */
  readonly prefix?: boolean;
  /** Name of the id column in the joined batches; default `'id'`. */
  readonly idColumn?: string;
  /**
   * `'error'` (default): an id missing from a source stops the run naming the id and source.
   * `'skip'`: rows whose id a source lacks are dropped and counted in {@link JoinCounts}.
   */
  readonly onMissing?: MissingPolicy;
  /** Evaluate only these ids: other rows are dropped (counted as `excluded`); listed ids that a source lacks are missing. */
  readonly ids?: readonly (string | number)[];
  /** Folder for the temporary LMDB index; default the OS temp folder. */
  readonly tmpDir?: string;
  /** Entries each id index keeps in memory before moving to disk; default 1,000,000. */
  readonly memoryRows?: number;
  /** Progress of indexing the non-driver sources (rows/s), about every `progressIntervalMs`. */
  readonly onProgress?: (progress: EvalProgress) => void;
  /** Milliseconds between progress calls; default 1,000. */
  readonly progressIntervalMs?: number;
}

/** Counts of a join, filled in by the first pass. */
export interface JoinCounts {
  /** Rows handed out per pass. */
  readonly rows: number;
  /** Per source: ids present in another source (or in `ids`) that this source lacks. */
  readonly missing: Readonly<Record<string, number>>;
  /** Driver rows dropped because another source lacks their id (policy `'skip'`). */
  readonly skipped: number;
  /** Driver rows dropped because their id is not in `ids`. */
  readonly excluded: number;
}

/** A joined source; `close` removes its temporary index. */
export interface JoinedSource extends EvalSource {
  counts(): JoinCounts;
  close(): Promise<void>;
}

interface Side {
  readonly name: string;
  readonly source: EvalSource;
  readonly idKey: string;
  columns: readonly string[] | undefined;
  index: IdIndex<unknown[]>;
}

/**
 * Joins `sources` (name → source; the first is the driver) on their id columns. Each id must
 * appear at most once per source; a duplicate is always an error naming it.
 *
 * @example
 * const data = joinSources({ pred: csvSource('p.csv'), target: csvSource('t.csv') }, { id: 'id' });
 * // batches carry `id`, `pred.score`, `target.label`, …
 * @throws OptionsError for no sources or a bad option; InputError / FuseflowError (when scanned)
 *   for a duplicate id, an id missing under `'error'`, an empty id, or clashing column names.
 */
export function joinSources(sources: Readonly<Record<string, EvalSource>>, options: JoinSourcesOptions): JoinedSource {
  const names = Object.keys(sources);
  if (names.length === 0) throw new OptionsError('joinSources: no sources');
  const idOf = (name: string): string => {
    const key = typeof options.id === 'string' ? options.id : options.id[name];
    if (key === undefined || key === '') throw new OptionsError(`joinSources: no id column given for source '${name}'`);
    return key;
  };
  const prefix = options.prefix ?? true;
  const idColumn = options.idColumn ?? 'id';
  const onMissing = options.onMissing ?? 'error';
  if (onMissing !== 'error' && onMissing !== 'skip') throw new OptionsError(`joinSources: onMissing must be 'error' or 'skip', got '${String(onMissing)}'`);
  let wanted: Set<string> | undefined;
  if (options.ids !== undefined) {
    wanted = new Set();
    for (const id of options.ids) {
      const s = String(id);
      if (wanted.has(s)) throw new OptionsError(`joinSources: id '${s}' is listed twice in ids`);
      wanted.add(s);
    }
  }
  const driverName = names[0] as string;
  const driver = sources[driverName] as EvalSource;
  const driverId = idOf(driverName);
  const memoryRows = options.memoryRows ?? 1_000_000;
  if (!Number.isInteger(memoryRows) || memoryRows < 0) throw new OptionsError(`joinSources: memoryRows must be a non-negative integer, got ${String(memoryRows)}`);
  let root: RootDatabase | undefined;
  let dir: string | undefined;
  /** Opens the temporary LMDB environment the first time an index spills. */
  const table =
    <V>(name: string) =>
    (): ReturnType<typeof lmdbTable<V>> => {
      if (root === undefined) {
        dir = mkdtempSync(join(options.tmpDir ?? tmpdir(), 'fuseflow-join-'));
        if (lmdbOpen === undefined) throw new FuseflowError('joinSources: LMDB is loaded by the first scan; an index spilled outside a scan');
        root = lmdbOpen({ path: dir, maxDbs: names.length + 2, noSync: true, compression: false });
      }
      return lmdbTable<V>(root, name);
    };
  const sides: Side[] = names.slice(1).map((name, k) => ({
    name,
    source: sources[name] as EvalSource,
    idKey: idOf(name),
    columns: undefined,
    index: new IdIndex<unknown[]>(memoryRows, table<unknown[]>(`side-${k}`)),
  }));
  const seen = new IdIndex<true>(memoryRows, table<true>('seen'));
  const outName = (source: string, column: string): string => (prefix ? `${source}.${column}` : column);

  let counts: JoinCounts | undefined;
  let indexed = false;

  const meter = new ProgressMeter(options.onProgress, options.progressIntervalMs ?? 1000);
  const indexSide = async (side: Side, batchSize: number): Promise<void> => {
    const index = side.index;
    meter.start(1, `index '${side.name}' by id`);
    await side.source.scan(batchSize, (batch) => {
      meter.tick(batch.length);
      const ids = batch.columns[side.idKey];
      if (ids === undefined) throw new InputError(`no id column '${side.idKey}' in source '${side.name}'`, { file: side.source.name });
      const cols = Object.keys(batch.columns).filter((c) => c !== side.idKey);
      if (side.columns === undefined) side.columns = cols;
      else if (cols.join('\u0000') !== side.columns.join('\u0000')) throw new InputError(`source '${side.name}' changed its columns between batches`, { file: side.source.name });
      index.batch(() => {
        for (let i = 0; i < batch.length; i++) {
          const id = idText(ids[i], batch, i, side.name);
          if (wanted !== undefined && !wanted.has(id)) continue;
          if (index.has(id)) throw new FuseflowError(`duplicate id '${id}' in source '${side.name}' (${describeOrigin(batch.where?.(i) ?? { file: side.source.name })})`);
          index.put(
            id,
            cols.map((c) => (batch.columns[c] as ArrayLike<unknown>)[i]),
          );
        }
      });
    });
    meter.finish();
  };

  return {
    name: names.length === 1 ? driver.name : `join of ${names.map((n) => `'${n}'`).join(', ')}`,
    reReadable: driver.reReadable,
    counts() {
      if (counts === undefined) throw new FuseflowError('joinSources: counts are known after the first pass');
      return counts;
    },
    async close() {
      if (root !== undefined) await root.close();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
      root = undefined;
      dir = undefined;
    },
    async scan(batchSize, onBatch) {
      // Before any index can spill, which happens inside a synchronous put.
      lmdbOpen ??= (await import('lmdb')).open;
      if (!indexed) {
        for (const side of sides) await indexSide(side, batchSize);
        indexed = true;
      }
      await seen.clear();
      const first = counts === undefined;
      const missing: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
      let rows = 0;
      let skipped = 0;
      let excluded = 0;
      const clash = new Set<string>([idColumn]);
      let checkedNames = false;
      await driver.scan(batchSize, (batch) => {
        const ids = batch.columns[driverId];
        if (ids === undefined) throw new InputError(`no id column '${driverId}' in source '${driverName}'`, { file: driver.name });
        const driverCols = Object.keys(batch.columns).filter((c) => c !== driverId);
        if (!checkedNames) {
          checkedNames = true;
          const all = [...driverCols.map((c) => [driverName, c] as const), ...sides.flatMap((s) => (s.columns ?? []).map((c) => [s.name, c] as const))];
          for (const [source, c] of all) {
            const out = outName(source, c);
            if (clash.has(out)) throw new InputError(`column '${out}' of source '${source}' clashes with another column; join with prefixes or rename it`);
            clash.add(out);
          }
        }
        const keep: number[] = [];
        const outIds: string[] = [];
        const sideRows: unknown[][][] = sides.map(() => []);
        seen.batch(() => {
          for (let i = 0; i < batch.length; i++) {
            const id = idText(ids[i], batch, i, driverName);
            if (seen.has(id)) throw new FuseflowError(`duplicate id '${id}' in source '${driverName}' (${describeOrigin(batch.where?.(i) ?? { file: driver.name })})`);
            seen.put(id, true);
            if (wanted !== undefined && !wanted.has(id)) {
              excluded++;
              continue;
            }
            const found = sides.map((s) => s.index.get(id));
            const lacking = sides.filter((_, k) => found[k] === undefined);
            if (lacking.length > 0) {
              if (onMissing === 'error') {
                throw new FuseflowError(
                  `id '${id}' of source '${driverName}' (${describeOrigin(batch.where?.(i) ?? { file: driver.name })}) is missing from ${lacking.map((s) => `'${s.name}'`).join(', ')}`,
                );
              }
              for (const s of lacking) missing[s.name] = (missing[s.name] ?? 0) + 1;
              skipped++;
              continue;
            }
            keep.push(i);
            outIds.push(id);
            for (let k = 0; k < sides.length; k++) (sideRows[k] as unknown[][]).push(found[k] as unknown[]);
          }
        });
        if (keep.length === 0) return;
        const columns: Record<string, ArrayLike<unknown>> = { [idColumn]: outIds };
        const all = keep.length === batch.length;
        for (const c of driverCols) {
          const col = batch.columns[c] as ArrayLike<unknown>;
          columns[outName(driverName, c)] = all ? col : gather(col, keep);
        }
        sides.forEach((s, k) => {
          const rowsOf = sideRows[k] as unknown[][];
          (s.columns ?? []).forEach((c, j) => {
            columns[outName(s.name, c)] = packColumn(rowsOf.map((r) => r[j]));
          });
        });
        const where = batch.where;
        const out: SourceBatch = {
          columns,
          length: keep.length,
          ...(where === undefined ? {} : { where: (i: number) => where(keep[i] as number) }),
        };
        rows += keep.length;
        onBatch(out);
      });
      if (first) {
        missingFromDriver(missing);
        counts = { rows, missing, skipped, excluded };
      }
    },
  };

  /** Counts ids present in a side (or in `ids`) but not in the driver, and what else lacks them. */
  function missingFromDriver(missing: Record<string, number>): void {
    const note = (id: string, present: ReadonlySet<string>): void => {
      if (onMissing === 'error') {
        const lacking = names.filter((n) => !present.has(n));
        throw new FuseflowError(`id '${id}' of ${[...present].map((n) => `'${n}'`).join(', ') || 'ids'} is missing from ${lacking.map((n) => `'${n}'`).join(', ')}`);
      }
      for (const n of names) if (!present.has(n)) missing[n] = (missing[n] ?? 0) + 1;
    };
    // Sides are checked in order; an id lacking from the driver is counted once, at the first side holding it.
    sides.forEach((side, k) => {
      for (const id of side.index.keys()) {
        if (seen.has(id)) continue;
        if (sides.slice(0, k).some((s) => s.index.has(id))) continue;
        note(id, new Set(sides.filter((s) => s.index.has(id)).map((s) => s.name)));
      }
    });
    if (wanted !== undefined) {
      for (const id of wanted) {
        if (seen.has(id) || sides.some((s) => s.index.has(id))) continue;
        note(id, new Set());
      }
    }
  }
}

function idText(value: unknown, batch: SourceBatch, i: number, source: string): string {
  if (value === null || value === undefined || (typeof value === 'number' && Number.isNaN(value)) || value === '') {
    throw new InputError(`empty id in source '${source}' (${describeOrigin(batch.where?.(i) ?? {})})`);
  }
  // Anything else would print as '[object Object]' or alike, and such ids would all join with each other.
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'bigint' && typeof value !== 'boolean') {
    throw new InputError(
      `id in source '${source}' (${describeOrigin(batch.where?.(i) ?? {})}) is ${typeof value === 'object' ? 'an object' : `a ${typeof value}`}; ids must be text or numbers`,
    );
  }
  return String(value);
}

function gather(col: ArrayLike<unknown>, index: readonly number[]): ArrayLike<unknown> {
  if (col instanceof Float64Array || col instanceof Float32Array || col instanceof Int32Array) {
    const out = new (col.constructor as Float64ArrayConstructor)(index.length);
    for (let k = 0; k < index.length; k++) out[k] = col[index[k] as number] as number;
    return out;
  }
  return index.map((i) => col[i]);
}

function packColumn(values: unknown[]): ArrayLike<unknown> {
  for (const v of values) if (typeof v !== 'number') return values;
  return Float64Array.from(values as number[]);
}
