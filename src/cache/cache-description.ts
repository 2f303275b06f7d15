/**
 * `pipeline.json`, the description a cache folder keeps of itself: format, key, salt, the static
 * pipeline's spec and the creation time, and a SHA-256 of them. Reading it checks every field
 * and the digest, so a damaged or foreign file is refused with an {@link InputError} naming it
 * rather than misread. (The key is not recomputed from the spec: options JSON cannot say exactly
 * — NaN, Infinity, typed arrays — would make a sound cache look damaged.)
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../core/errors.js';
import type { PipelineSpec } from '../ops/pipeline.js';
import { CACHE_FORMAT_VERSION } from './cache-key.js';

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

/** SHA-256 of a description's JSON text (two-space indented, as written); JSON text re-serializes to itself. */
const digestOf = (desc: object): string =>
  createHash('sha256')
    .update(JSON.stringify(desc, null, 2), 'utf8')
    .digest('hex');

/**
 * The text of `pipeline.json` for `desc`: its fields plus `sha256`, a digest of them, so a damaged
 * file is refused (a guard against damage, not a signature: anyone can recompute it).
 * @example writeFileAtomic(join(folder, DESCRIPTION_FILE), descriptionText(desc));
 */
export function descriptionText(desc: CacheDescription): string {
  return `${JSON.stringify({ ...desc, sha256: digestOf(desc) }, null, 2)}\n`;
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
  const { sha256, ...rest } = raw;
  if (typeof sha256 !== 'string' || sha256 !== digestOf(rest)) {
    throw new InputError('does not match its recorded SHA-256 (the file was damaged or edited); the cache cannot be trusted to match its pipeline', { file });
  }
  return rest as unknown as CacheDescription;
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
