/**
 * The dataset module a sharded fill reads: the user's own `.ts`/`.js` file, the same one their
 * training script imports, exporting the dataset's ids and static pipeline.
 *
 * Contract (named exports, or the same fields on `export default { … }`):
 * - `ids`: the initial sample ids — a `readonly string[]`, or an id column (`IdColumn`, e.g.
 *   `idsFromArrowFile('ids.arrow', { column: 'id' })`) for id sets larger than memory, or a
 *   function (sync or async) returning either. A fill reads a column once, in bounded memory,
 *   keeping only its shard's ids; its rows are checked (non-empty, unique) during that pass;
 * - `staticPipeline`: a `Pipeline` or an array of static ops — what is cached;
 * - `salt` (optional): a string mixed into the cache key (e.g. a data release), default `''`.
 * User ops must be defined with `module: import.meta.url` (as for any cache fill) so worker threads
 * can rebuild them. A `.ts` module is loaded through tsx when fuseflow runs compiled.
 *
 * @example
 * // my-dataset.ts
 * export const ids = readFileSync('cases.txt', 'utf8').split('\n').filter(Boolean);
 * export const staticPipeline = [loadImage({ keys: ['img'] }), zScoreIntensity({ keys: ['img'] })];
 * // or, for 10^8 ids: export const ids = () => idsFromArrowFile('/data/ids.arrow', { column: 'id' });
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InputError } from '../../core/errors.js';
import type { Op } from '../../ops/op.js';
import { pipeline, type Pipeline } from '../../ops/pipeline.js';
import type { IdColumn, SampleIds } from '../../core/ids/id-column.js';

/** What a dataset module provides, checked. */
export interface DatasetDefinition {
  /** The module's path, resolved. */
  readonly file: string;
  /** The ids: a `string[]` (checked: non-empty, unique) or an id column (checked row by row as a fill scans it). */
  readonly ids: SampleIds;
  readonly staticPipeline: Pipeline;
  readonly salt: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isPipeline = (v: unknown): v is Pipeline => isRecord(v) && Array.isArray(v['ops']) && Array.isArray(v['opIds']) && typeof v['opIndexBase'] === 'number';
const isOp = (v: unknown): boolean => isRecord(v) && typeof v['name'] === 'string' && typeof v['apply'] === 'function' && typeof v['version'] === 'number';
const fromSources = import.meta.url.endsWith('.ts');
/** An id column: a non-array object with a whole `length`, a `label` and an `at` function. */
const isColumn = (v: unknown): v is IdColumn =>
  isRecord(v) &&
  !Array.isArray(v) &&
  !ArrayBuffer.isView(v) &&
  Number.isSafeInteger(v['length']) &&
  (v['length'] as number) >= 0 &&
  typeof v['label'] === 'string' &&
  typeof v['at'] === 'function';

/** Imports `file`, registering tsx first for a TypeScript module when this code runs compiled. */
async function importModule(file: string): Promise<Record<string, unknown>> {
  if (/\.[mc]?ts$/.test(file) && !fromSources) {
    try {
      const api = (await import('tsx/esm/api')) as { register: () => unknown };
      api.register();
    } catch (err) {
      throw new InputError(`a TypeScript dataset module needs tsx to load (npm install tsx), or compile it to .js first (${err instanceof Error ? err.message : String(err)})`, {
        file,
      });
    }
  }
  try {
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new InputError(`cannot import the dataset module: ${err instanceof Error ? err.message : String(err)}`, { file });
  }
}

/**
 * True when the module is TypeScript and fuseflow runs compiled: tsx's hooks then load it in this
 * thread only (Node 20 does not pass them to worker threads), so its ops are computed in this thread.
 */
export function needsInThreadFill(def: DatasetDefinition): boolean {
  return /\.[mc]?ts$/.test(def.file) && !fromSources;
}

/**
 * Loads and checks the dataset module at `path` (see the contract above).
 * @example const ds = await loadDatasetModule('./my-dataset.ts'); // ds.ids, ds.staticPipeline
 * @throws {InputError} naming the file: missing, not importable, or an export that breaks the
 *   contract (which export and what was expected).
 */
export async function loadDatasetModule(path: string): Promise<DatasetDefinition> {
  const file = resolve(path);
  if (!existsSync(file)) throw new InputError('no such dataset module', { file });
  const mod = await importModule(file);
  const source = mod['ids'] === undefined && isRecord(mod['default']) ? mod['default'] : mod;
  const bad = (what: string): InputError =>
    new InputError(
      `${what}; a dataset module exports ids (a string[], an IdColumn such as idsFromArrowFile(...), or a function returning one), staticPipeline (a Pipeline or static ops) and optionally salt (a string)`,
      {
        file,
      },
    );
  let ids = source['ids'];
  if (typeof ids === 'function') ids = await (ids as () => unknown)();
  if (!Array.isArray(ids) && !isColumn(ids)) throw bad(`export 'ids' is ${ids === undefined ? 'missing' : 'neither an array of strings nor an id column'}`);
  if (Array.isArray(ids)) {
    const notString = ids.findIndex((id) => typeof id !== 'string' || id === '');
    if (notString >= 0) throw bad(`ids[${notString}] is ${JSON.stringify(ids[notString])}, not a non-empty string`);
    const seen = new Set<string>();
    for (const id of ids as string[]) {
      if (seen.has(id)) throw bad(`id '${id}' appears twice in 'ids' (ids must be unique)`);
      seen.add(id);
    }
  }
  const sp = source['staticPipeline'];
  let staticPipeline: Pipeline;
  if (isPipeline(sp)) staticPipeline = sp.opIndexBase === 0 ? sp : pipeline(sp.ops, { name: sp.name });
  else if (Array.isArray(sp) && sp.length > 0 && sp.every(isOp)) staticPipeline = pipeline(sp as readonly Op<object>[], { name: 'static' });
  else throw bad(`export 'staticPipeline' is ${sp === undefined ? 'missing' : 'not a Pipeline or a non-empty array of ops'}`);
  const random = staticPipeline.ops.find((op) => op.kind === 'random');
  if (random !== undefined) throw bad(`op '${random.name}' of 'staticPipeline' is random; random ops belong in the dynamic pipeline (the static output is cached)`);
  const salt = source['salt'] ?? '';
  if (typeof salt !== 'string') throw bad(`export 'salt' is not a string`);
  return { file, ids: ids as SampleIds, staticPipeline, salt };
}
