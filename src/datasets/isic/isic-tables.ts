/**
 * ISIC 2019's two CSV files: `ISIC_2019_Training_GroundTruth.csv` (one-hot diagnosis columns) and
 * `ISIC_2019_Training_Metadata.csv` (age, anatomic site, lesion, sex), and the metadata encoding
 * of FuseMedML's ISIC builder.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../../core/errors.js';
import { parseCsv, type CsvRecord } from '../../ops/tabular/csv.js';
import { oneHotVector } from '../common/one-hot-vector.js';

/** Diagnosis columns of the ground truth, index = class. `UNK` (none of the others) is class 8. */
export const ISIC_CLASSES = ['MEL', 'NV', 'BCC', 'AK', 'BKL', 'DF', 'VASC', 'SCC', 'UNK'] as const;
/** `sex` values, index = one-hot position; a missing value is `N/A`. */
export const ISIC_SEX = ['male', 'female', 'N/A'] as const;
/** `anatom_site_general` values, index = one-hot position; a missing value is `N/A`. */
export const ISIC_SITES = ['anterior torso', 'upper extremity', 'posterior torso', 'lower extremity', 'lateral torso', 'head/neck', 'palms/soles', 'oral/genital', 'N/A'] as const;
/** Age bins: `age_approx` in (0, 120) goes to bin ⌊age / 20⌋ (0–5); a missing age, or 0, to bin 6. */
export const ISIC_AGE_BINS = 7;
/** Length of the metadata vector: site (9) + sex (3) + age (7). */
export const ISIC_METADATA_FEATURES = ISIC_SITES.length + ISIC_SEX.length + ISIC_AGE_BINS;

/** One image's ground truth. */
export interface IsicTruth {
  readonly label: number;
  readonly line: number;
}

/** One image's metadata; absent fields were empty in the CSV. */
export interface IsicMetadata {
  readonly age?: number;
  readonly site: (typeof ISIC_SITES)[number];
  readonly sex: (typeof ISIC_SEX)[number];
  /** The lesion the image shows (several images may show one lesion); absent when the CSV leaves it empty. */
  readonly lesionId?: string;
  readonly line: number;
}

function columnsOf(records: readonly CsvRecord[], file: string, wanted: readonly string[]): Map<string, number> {
  const header = records[0];
  if (header === undefined) throw new InputError('empty file (expected a header line)', { file });
  const at = new Map(header.fields.map((name, i) => [name.trim(), i]));
  const missing = wanted.filter((c) => !at.has(c));
  if (missing.length > 0) throw new InputError(`header lacks column(s) ${missing.join(', ')} (found ${header.fields.join(',')})`, { file, line: header.line });
  return at;
}

function field(r: CsvRecord, at: Map<string, number>, name: string): string {
  return (r.fields[at.get(name) as number] ?? '').trim();
}

function readRows<T>(file: string, wanted: readonly string[], row: (r: CsvRecord, at: Map<string, number>, id: string) => T): Map<string, T> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read: ${(err as Error).message}`, { file });
  }
  const records = parseCsv(text, { file });
  const at = columnsOf(records, file, wanted);
  const out = new Map<string, T>();
  for (const r of records.slice(1)) {
    const id = field(r, at, 'image');
    if (id.length === 0) throw new InputError("empty 'image' column", { file, line: r.line });
    if (out.has(id)) throw new InputError(`image '${id}' appears twice`, { file, line: r.line });
    out.set(id, row(r, at, id));
  }
  return out;
}

/**
 * Reads the ground truth: each row must have exactly one class column equal to 1 (`1` or `1.0`)
 * and the others 0; the label is that column's index in {@link ISIC_CLASSES}.
 * @throws {InputError} naming the file, line, image and column for a missing column, a value
 *   other than 0/1, or a row with no or several classes.
 */
export function readIsicGroundTruth(file: string): Map<string, IsicTruth> {
  return readRows(file, ['image', ...ISIC_CLASSES], (r, at, id) => {
    const hot: number[] = [];
    ISIC_CLASSES.forEach((c, k) => {
      const v = field(r, at, c);
      const x = Number(v);
      if (v === '' || !(x === 0 || x === 1)) throw new InputError(`image '${id}', column '${c}': expected 0 or 1, got '${v}'`, { file, line: r.line });
      if (x === 1) hot.push(k);
    });
    if (hot.length !== 1) throw new InputError(`image '${id}': expected exactly one class column set to 1, found ${hot.length}`, { file, line: r.line });
    return { label: hot[0] as number, line: r.line };
  });
}

/**
 * Reads the metadata. Empty `age_approx`, `anatom_site_general`, `sex` or `lesion_id` mean
 * missing (site and sex become `N/A`).
 * @throws {InputError} naming the file, line, image and column for a missing column, an age that
 *   is not a number, or a site or sex outside {@link ISIC_SITES} / {@link ISIC_SEX}.
 */
export function readIsicMetadata(file: string): Map<string, IsicMetadata> {
  return readRows(file, ['image', 'age_approx', 'anatom_site_general', 'lesion_id', 'sex'], (r, at, id) => {
    const ageText = field(r, at, 'age_approx');
    const age = ageText === '' ? undefined : Number(ageText);
    if (age !== undefined && !Number.isFinite(age))
      throw new InputError(`image '${id}', column 'age_approx': expected a number or nothing, got '${ageText}'`, { file, line: r.line });
    const siteText = field(r, at, 'anatom_site_general');
    const site = (siteText === '' ? 'N/A' : siteText) as (typeof ISIC_SITES)[number];
    if (!ISIC_SITES.includes(site))
      throw new InputError(`image '${id}', column 'anatom_site_general': expected one of ${ISIC_SITES.join(', ')} or nothing, got '${siteText}'`, { file, line: r.line });
    const sexText = field(r, at, 'sex');
    const sex = (sexText === '' ? 'N/A' : sexText) as (typeof ISIC_SEX)[number];
    if (!ISIC_SEX.includes(sex)) throw new InputError(`image '${id}', column 'sex': expected male, female or nothing, got '${sexText}'`, { file, line: r.line });
    const lesion = field(r, at, 'lesion_id');
    return { ...(age === undefined ? {} : { age }), site, sex, ...(lesion === '' ? {} : { lesionId: lesion }), line: r.line };
  });
}

/**
 * FuseMedML's ISIC metadata encoding: `site` one-hot over {@link ISIC_SITES} (N/A is its own
 * position), `sex` one-hot over {@link ISIC_SEX}, `age` one-hot over 7 bins (⌊age / 20⌋ for
 * 0 < age < 120, bin 6 for a missing age or 0).
 * @example encodeIsicMetadata({ age: 55, site: 'head/neck', sex: 'female', line: 2 }).age // [0,0,1,0,0,0,0]
 */
export function encodeIsicMetadata(m: IsicMetadata): { site: number[]; sex: number[]; age: number[] } {
  const age = m.age;
  return {
    site: oneHotVector(ISIC_SITES.indexOf(m.site), ISIC_SITES.length),
    sex: oneHotVector(ISIC_SEX.indexOf(m.sex), ISIC_SEX.length),
    age: oneHotVector(age !== undefined && age > 0 && age < 120 ? Math.floor(age / 20) : 6, ISIC_AGE_BINS),
  };
}
