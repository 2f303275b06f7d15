/**
 * KNIGHT's clinical JSON (`knight.json` for the training cases, `features.json` for the test
 * cases) and its encoding into the 11 features of FuseMedML's KNIGHT baseline.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../../core/errors.js';
import { oneHotVector } from '../common/one-hot-vector.js';

/** AUA risk groups, index = task 2 class (B, LR, IR, HR, VHR). */
export const KNIGHT_RISK_GROUPS = ['benign', 'low_risk', 'intermediate_risk', 'high_risk', 'very_high_risk'] as const;
/** Task 2 class names. */
export const KNIGHT_TASK2_CLASSES = ['B', 'LR', 'IR', 'HR', 'VHR'] as const;
/** Task 1 class names: no adjuvant therapy (B, LR, IR) vs candidate for it (HR, VHR). */
export const KNIGHT_TASK1_CLASSES = ['NoAT', 'CanAT'] as const;
/** `smoking_history` values, index = one-hot position. */
export const KNIGHT_SMOKING = ['never_smoked', 'previous_smoker', 'current_smoker'] as const;
/** Names of the 11 encoded features, in order. */
export const KNIGHT_FEATURES = [
  'age',
  'bmi',
  'radiographic_size',
  'last_preop_egfr',
  'gender_male',
  'gender_female',
  'no_comorbidities',
  'comorbidities',
  'never_smoked',
  'previous_smoker',
  'current_smoker',
] as const;

/** Values used for a missing radiographic size (cm) and last pre-op eGFR: the training-set medians FuseMedML uses. */
export const KNIGHT_MEDIANS = { radiographicSize: 4.1, lastPreopEgfr: 77 } as const;

/** One case of the JSON: the fields the builder reads (others are kept untouched). */
export type KnightRecord = Readonly<Record<string, unknown>>;

/** The case records by `case_id`. */
export type KnightTable = ReadonlyMap<string, KnightRecord>;

/**
 * Reads `knight.json` / `features.json`: a JSON list of case objects, each with a `case_id`.
 * @throws {InputError} naming the file when it is not JSON, not a list of objects, or a case
 *   has no string `case_id` or appears twice.
 */
export function readKnightJson(file: string): KnightTable {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InputError(`cannot read the KNIGHT clinical data: ${(err as Error).message}`, { file });
  }
  if (!Array.isArray(parsed)) throw new InputError('expected a JSON list of case objects (as knight.json)', { file });
  const table = new Map<string, KnightRecord>();
  parsed.forEach((entry: unknown, i) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new InputError(`entry ${i} is not an object`, { file });
    const id = (entry as { case_id?: unknown }).case_id;
    if (typeof id !== 'string' || id.length === 0) throw new InputError(`entry ${i} has no string 'case_id'`, { file });
    if (table.has(id)) throw new InputError(`case '${id}' appears twice`, { file });
    table.set(id, entry as KnightRecord);
  });
  return table;
}

/** The record of `caseId`, or an error naming the file and case. */
export function knightRecord(table: KnightTable, caseId: string, file: string): KnightRecord {
  const r = table.get(caseId);
  if (r === undefined) throw new InputError(`case '${caseId}' has no entry (expected an object with "case_id": "${caseId}")`, { file });
  return r;
}

function bad(file: string, caseId: string, key: string, expected: string, value: unknown): InputError {
  return new InputError(`case '${caseId}', key '${key}': expected ${expected}, got ${JSON.stringify(value) ?? 'nothing'}`, { file });
}

/** A number field; `null` or absent → undefined; anything else that is not a finite number is an error. */
function numberField(r: KnightRecord, key: string, file: string, caseId: string): number | undefined {
  const v = r[key];
  if (v === null || v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(file, caseId, key, 'a number or null', v);
  return v;
}

/** `x / scale` when `lo < x < hi`, else -1 (FuseMedML's encoding of a missing or implausible value). */
function scaled(x: number | undefined, lo: number, hi: number, scale: number): number {
  return x !== undefined && x > lo && x < hi ? x / scale : -1;
}

/** The last pre-op eGFR as a number: `{ value: n | ">=90" | ">90" | null }` or null (→ median 77). */
function egfr(r: KnightRecord, file: string, caseId: string): number {
  const v = r['last_preop_egfr'];
  if (v === null || v === undefined) return KNIGHT_MEDIANS.lastPreopEgfr;
  if (typeof v !== 'object' || Array.isArray(v)) throw bad(file, caseId, 'last_preop_egfr', 'an object with a "value" or null', v);
  const value = (v as { value?: unknown }).value;
  if (value === null || value === undefined) return KNIGHT_MEDIANS.lastPreopEgfr;
  if (value === '>=90' || value === '>90') return 90;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw bad(file, caseId, 'last_preop_egfr.value', 'a number, ">=90", ">90" or null', value);
  return value;
}

/**
 * The 11 clinical features of FuseMedML's KNIGHT baseline, in {@link KNIGHT_FEATURES} order:
 * - `age` = age_at_nephrectomy / 120, `bmi` = body_mass_index / 50, `radiographic_size` (cm) / 15,
 *   `last_preop_egfr` / 90; a missing value or one outside (0, 120), (10, 100), (0, 50), (0, 200)
 *   becomes -1, except that a missing radiographic size is first set to 4.1 cm and a missing
 *   eGFR to 77 (training medians); an eGFR of ">=90" or ">90" counts as 90;
 * - `gender` one-hot (male, female); `comorbidities` one-hot (none, any of the listed ones true);
 *   `smoking_history` one-hot (never, previous, current); a missing (null or absent) value gives
 *   all zeros.
 * @throws {InputError} naming the file, case and key for a value of the wrong type or an
 *   unknown category.
 */
export function encodeKnightClinical(r: KnightRecord, file: string, caseId: string): number[] {
  const age = scaled(numberField(r, 'age_at_nephrectomy', file, caseId), 0, 120, 120);
  const bmi = scaled(numberField(r, 'body_mass_index', file, caseId), 10, 100, 50);
  const size = scaled(numberField(r, 'radiographic_size', file, caseId) ?? KNIGHT_MEDIANS.radiographicSize, 0, 50, 15);
  const gfr = scaled(egfr(r, file, caseId), 0, 200, 90);

  const g = r['gender'];
  if (g !== null && g !== undefined && (typeof g !== 'string' || !['male', 'female'].includes(g.toLowerCase()))) throw bad(file, caseId, 'gender', '"male", "female" or null', g);
  const gender = typeof g === 'string' ? (g.toLowerCase() === 'female' ? 1 : 0) : undefined;

  const c = r['comorbidities'];
  if (c !== null && c !== undefined && (typeof c !== 'object' || Array.isArray(c) || !Object.values(c).every((x) => typeof x === 'boolean'))) {
    throw bad(file, caseId, 'comorbidities', 'an object of true/false flags or null', c);
  }
  const comorbid = c === null || c === undefined ? undefined : Object.values(c).some((x) => x === true) ? 1 : 0;

  const s = r['smoking_history'];
  const smokeIndex = KNIGHT_SMOKING.indexOf(s as (typeof KNIGHT_SMOKING)[number]);
  if (s !== null && s !== undefined && smokeIndex < 0) throw bad(file, caseId, 'smoking_history', `one of ${KNIGHT_SMOKING.join(', ')} or null`, s);
  const smoking = smokeIndex < 0 ? undefined : smokeIndex;

  return [age, bmi, size, gfr, ...oneHotVector(gender, 2), ...oneHotVector(comorbid, 2), ...oneHotVector(smoking, 3)];
}

/**
 * The task labels of a training case from `aua_risk_group`: task 2 is its index in
 * {@link KNIGHT_RISK_GROUPS}; task 1 is 1 (CanAT) for high or very high risk, else 0 (NoAT).
 * @throws {InputError} naming the file and case when the group is missing or unknown.
 */
export function knightLabels(r: KnightRecord, file: string, caseId: string): { task1: number; task2: number } {
  const group = r['aua_risk_group'];
  const task2 = KNIGHT_RISK_GROUPS.indexOf(group as (typeof KNIGHT_RISK_GROUPS)[number]);
  if (task2 < 0) throw bad(file, caseId, 'aua_risk_group', `one of ${KNIGHT_RISK_GROUPS.join(', ')}`, group);
  return { task1: task2 >= 3 ? 1 : 0, task2 };
}
