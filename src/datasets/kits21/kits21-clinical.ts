/**
 * KiTS21's clinical data (`kits.json`: a JSON list of case records, each with a `case_id`) and the
 * fields the KiTS21 builder puts into a sample.
 */
import { readFileSync } from 'node:fs';
import { InputError, OptionsError } from '../../core/errors.js';
import { setKey } from '../../core/sample.js';
import { noteFileRead } from '../../ops/file-reads.js';
import { defineOp } from '../../ops/registry.js';
import { memoizedFile } from '../common/file-memo.js';

/** One case record of `kits.json` (fields not listed below are kept untouched). */
export type Kits21Record = Readonly<Record<string, unknown>>;

/** Numeric fields copied into `data.clinical` (a missing value, `null`, becomes NaN). */
export const KITS21_NUMBERS = ['age_at_nephrectomy', 'body_mass_index', 'radiographic_size', 'tumor_isup_grade'] as const;
/** Text fields copied into `data.clinical` (a missing value, `null`, becomes `''`). */
export const KITS21_TEXTS = ['gender', 'tumor_histologic_subtype', 'pathology_t_stage'] as const;
/** Class names of `data.gt.malignant` (the field `malignant`), index = label. */
export const KITS21_MALIGNANCY_CLASSES = ['benign', 'malignant'] as const;

/**
 * Reads `kits.json`.
 * @throws {InputError} naming the file when it is not JSON, not a list of objects, or a record has
 *   no string `case_id` or repeats one.
 */
export function readKits21Json(file: string): ReadonlyMap<string, Kits21Record> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InputError(`cannot read the KiTS21 clinical data: ${(err as Error).message}`, { file });
  }
  if (!Array.isArray(parsed)) throw new InputError('expected a JSON list of case records (as kits.json)', { file });
  const table = new Map<string, Kits21Record>();
  parsed.forEach((entry: unknown, i) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new InputError(`entry ${i} is not an object`, { file });
    const id = (entry as { case_id?: unknown }).case_id;
    if (typeof id !== 'string' || id.length === 0) throw new InputError(`entry ${i} has no string 'case_id'`, { file });
    if (table.has(id)) throw new InputError(`case '${id}' appears twice`, { file });
    table.set(id, entry as Kits21Record);
  });
  return table;
}

/** What a case contributes to its sample. */
export interface Kits21Clinical {
  /** {@link KITS21_NUMBERS} (NaN when null) and {@link KITS21_TEXTS} (`''` when null). */
  readonly clinical: Readonly<Record<string, number | string>>;
  /** 1 when `malignant` is true, 0 when false. */
  readonly malignant: number;
}

/**
 * The sample fields of one record, every value checked.
 * @throws {InputError} naming the file, the case and the key: a number field holding something
 *   else, a text field that is not a string, `malignant` that is not true or false.
 */
export function kits21Clinical(record: Kits21Record, file: string, id: string): Kits21Clinical {
  const bad = (key: string, expected: string): InputError =>
    new InputError(`case '${id}': key '${key}' must be ${expected}, found ${JSON.stringify(record[key]) ?? 'nothing (the key is missing)'}`, { file });
  const clinical: Record<string, number | string> = {};
  for (const key of KITS21_NUMBERS) {
    const v = record[key];
    if (v === null || v === undefined) clinical[key] = NaN;
    else if (typeof v === 'number' && Number.isFinite(v)) clinical[key] = v;
    else throw bad(key, 'a number or null');
  }
  for (const key of KITS21_TEXTS) {
    const v = record[key];
    if (v === null || v === undefined) clinical[key] = '';
    else if (typeof v === 'string') clinical[key] = v;
    else throw bad(key, 'a string or null');
  }
  const m = record['malignant'];
  if (typeof m !== 'boolean') throw bad('malignant', 'true or false');
  return { clinical, malignant: m ? 1 : 0 };
}

/** Options of {@link kits21ClinicalOp}. */
export interface Kits21ClinicalOptions {
  /** Path of `kits.json`. */
  readonly file: string;
}

const NAME = 'kits21.clinical';

/**
 * Writes a case's clinical fields from `kits.json` to `data.clinical.<field>` and its label to
 * `data.gt.malignant` (0 benign, 1 malignant). Static. The file is read once per version per
 * thread and recorded as a cache input (editing it makes cached samples stale).
 * @example kits21ClinicalOp({ file: '/data/kits21/kits21/data/kits.json' })
 * @throws {OptionsError} when `file` is not a non-empty string.
 * @throws {InputError} (as an OpError naming the sample) for a case missing from the file or a bad value.
 */
export const kits21ClinicalOp = defineOp<Kits21ClinicalOptions>({
  name: NAME,
  version: 1,
  kind: 'static',
  module: import.meta.url, // worker threads import this module to rebuild the op from its spec
  validate: (o) => {
    if (typeof o.file !== 'string' || o.file.length === 0) throw new OptionsError(`op '${NAME}': option 'file' must be the path of kits.json, got ${JSON.stringify(o.file)}`);
  },
  apply: (sample, ctx, o) => {
    noteFileRead(o.file);
    const record = memoizedFile(o.file, readKits21Json).get(ctx.sampleId);
    if (record === undefined) throw new InputError(`no record with case_id '${ctx.sampleId}'`, { file: o.file });
    const { clinical, malignant } = kits21Clinical(record, o.file, ctx.sampleId);
    return setKey(setKey(sample, 'data.clinical', clinical), 'data.gt.malignant', malignant);
  },
});
