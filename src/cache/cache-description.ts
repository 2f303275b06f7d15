/**
 * `pipeline.json`, the description a cache folder keeps of itself: format, key, salt, the static
 * pipeline's spec and the creation time. Reading it checks every field and that the spec and salt
 * still give the recorded key, so a damaged, edited or foreign file is refused with an
 * {@link InputError} naming it rather than misread.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../core/errors.js';
import type { PipelineSpec } from '../ops/pipeline.js';
import { cacheKey, CACHE_FORMAT_VERSION } from './cache-key.js';

/** File name of the description inside a cache folder. */
export const DESCRIPTION_FILE = 'pipeline.json';

/** What `pipeline.json` records. */
export interface CacheDescription {
  readonly format: number;
  readonly key: string;
  readonly salt: string;
  readonly spec: PipelineSpec;
  readonly createdAt: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks one op spec (name, version, options; `module` and `id` strings when present). */
function checkOpSpec(op: unknown, i: number, file: string): void {
  const bad = (what: string): InputError => new InputError(`spec.ops[${i}] ${what}`, { file });
  if (!isRecord(op)) throw bad('is not an object');
  if (typeof op['name'] !== 'string' || op['name'] === '') throw bad('has no op name');
  if (typeof op['version'] !== 'number' || !Number.isInteger(op['version'])) throw bad(`('${op['name']}') has no integer version`);
  if (!isRecord(op['options'])) throw bad(`('${op['name']}') has no options object`);
  if (op['module'] !== undefined && typeof op['module'] !== 'string') throw bad(`('${op['name']}') has a module that is not a string`);
  if (op['id'] !== undefined && typeof op['id'] !== 'string') throw bad(`('${op['name']}') has an id that is not a string`);
}

/**
 * Parses and checks the text of a `pipeline.json` (`file` names it in errors).
 * @throws {InputError} naming the file: not JSON, a missing or mistyped field, or a format this
 *   version of fuseflow does not read (with what to do about it).
 */
export function parseDescription(text: string, file: string): CacheDescription {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InputError(`not valid JSON (${err instanceof Error ? err.message : String(err)}); the cache description is damaged`, { file });
  }
  if (!isRecord(raw)) throw new InputError('is not a JSON object; the cache description is damaged', { file });
  if (raw['format'] !== CACHE_FORMAT_VERSION) {
    throw new InputError(
      `cache format ${JSON.stringify(raw['format'])}, this fuseflow reads format ${CACHE_FORMAT_VERSION}; rebuild the cache (a new fill writes a new folder beside it) and delete this one by hand`,
      { file },
    );
  }
  for (const k of ['key', 'salt', 'createdAt'] as const) {
    if (typeof raw[k] !== 'string') throw new InputError(`field '${k}' is missing or not a string`, { file });
  }
  if (!/^[0-9a-f]{64}$/.test(raw['key'] as string)) throw new InputError(`field 'key' is not a cache key (64 hex digits)`, { file });
  const spec = raw['spec'];
  if (!isRecord(spec) || typeof spec['name'] !== 'string' || typeof spec['opIndexBase'] !== 'number' || !Array.isArray(spec['ops'])) {
    throw new InputError(`field 'spec' is not a pipeline spec (name, opIndexBase, ops)`, { file });
  }
  spec['ops'].forEach((op, i) => checkOpSpec(op, i, file));
  const desc = raw as unknown as CacheDescription;
  if (cacheKey(desc.spec, desc.salt) !== desc.key) {
    throw new InputError(
      `the recorded pipeline spec and salt do not give the recorded cache key (the file was damaged or edited); the cache cannot be trusted to match its pipeline`,
      { file },
    );
  }
  return desc;
}

/**
 * Reads `pipeline.json` of a cache folder.
 * @throws {InputError} naming the file when it is missing, unreadable or damaged.
 */
export function readDescriptionFile(folder: string): CacheDescription {
  const file = join(folder, DESCRIPTION_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'missing: not a fuseflow cache folder' : `cannot read (${code ?? String(err)})`, { file });
  }
  return parseDescription(text, file);
}
