/**
 * A small KNIGHT replica in the published layout, for tests and the examples (github.com/neheller/KNIGHT,
 * `knight/data/`): `knight.json` with the real record structure (every field of a real record,
 * values made up) and `case_XXXXX/imaging.nii.gz` CTs with synthetic pixels in KiTS's axis order
 * (index axis 0 runs along the patient's superior–inferior axis).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createImage } from '../src/core/image.js';
import { Rng } from '../src/core/rng.js';
import { writeImageLocal } from '../src/ops/image/io/write-image-local.js';
import { KITS_COMORBIDITIES, kitsRecord } from './kits21-replica.js';

/** The clinical fields a replica case varies; everything else takes a real record's values. */
export interface ReplicaCase {
  readonly id: string;
  readonly age: number | null;
  readonly gender: string | null;
  readonly bmi: number | null;
  readonly comorbid: boolean | null;
  readonly smoking: string | null;
  readonly size: number | null;
  readonly egfr: number | string | null | undefined; // undefined: "last_preop_egfr": null
  readonly risk: string | undefined;
  /** The CT's value in HU: a constant, or 'ramp' (HU = -200 + 40 × slice index along superior–inferior). */
  readonly hu: number | 'ramp';
}

export const REPLICA_CASES: readonly ReplicaCase[] = [
  { id: 'case_00000', age: 49, gender: 'male', bmi: 29.47, comorbid: false, smoking: 'never_smoked', size: 2.4, egfr: 77.0, risk: 'intermediate_risk', hu: 200 },
  { id: 'case_00001', age: 50, gender: 'female', bmi: 33.71, comorbid: true, smoking: 'previous_smoker', size: 2.2, egfr: '>=90', risk: 'low_risk', hu: -1000 },
  { id: 'case_00002', age: 74, gender: 'male', bmi: null, comorbid: false, smoking: 'current_smoker', size: null, egfr: null, risk: 'high_risk', hu: 500 },
  { id: 'case_00003', age: 130, gender: null, bmi: 8, comorbid: null, smoking: null, size: 4.9, egfr: undefined, risk: 'very_high_risk', hu: 'ramp' },
  { id: 'case_00004', age: 61, gender: 'Female', bmi: 24.42, comorbid: false, smoking: 'previous_smoker', size: 7.5, egfr: 250, risk: 'benign', hu: 0 },
  { id: 'case_00005', age: 35, gender: 'male', bmi: 35.96, comorbid: true, smoking: 'current_smoker', size: 4.9, egfr: 45, risk: 'high_risk', hu: 104 },
];

/** A knight.json record with every field of the published records. */
export function replicaRecord(c: ReplicaCase): Record<string, unknown> {
  const record = kitsRecord({
    case_id: c.id,
    age_at_nephrectomy: c.age,
    gender: c.gender,
    body_mass_index: c.bmi,
    comorbidities: c.comorbid === null ? null : Object.fromEntries(KITS_COMORBIDITIES.map((k, i) => [k, c.comorbid === true && i === 5])),
    smoking_history: c.smoking,
    radiographic_size: c.size,
    malignant: true,
    pathology_t_stage: '1a',
    tumor_histologic_subtype: 'clear_cell_rcc',
    tumor_isup_grade: 3,
    last_preop_egfr: c.egfr === undefined ? null : { value: c.egfr, days_before_nephrectomy: c.egfr === null ? null : 54 },
    vital_days_after_surgery: 2086,
    voxel_spacing: { x_spacing: 0.8, y_spacing: 0.8, z_spacing: 2.5 },
    sarcomatoid_features: false,
    rhabdoid_features: false,
  });
  if (c.risk !== undefined) record['aua_risk_group'] = c.risk;
  return record;
}

/** CT size in index order (KiTS: axis 0 = slices along superior–inferior, then y, x) and spacing. */
export const REPLICA_CT = { size: [6, 10, 12], spacing: [2.5, 0.8, 0.8] } as const;

/**
 * Writes the CT of `c` in KiTS's axis order: index axis 0 points to world -z (LPS z = superior,
 * KiTS slices run from the top down), axis 1 to world y (posterior), axis 2 to world x (left).
 */
export async function writeReplicaCt(path: string, c: ReplicaCase): Promise<void> {
  const [n0, n1, n2] = REPLICA_CT.size;
  const data = new Int16Array(n0 * n1 * n2);
  for (let k = 0; k < n2; k++) for (let j = 0; j < n1; j++) for (let i = 0; i < n0; i++) data[(k * n1 + j) * n0 + i] = c.hu === 'ramp' ? -200 + 40 * i : c.hu;
  // direction columns: index axis 0 → (0, 0, -1), axis 1 → (0, 1, 0), axis 2 → (1, 0, 0)
  const direction = [0, 0, 1, 0, 1, 0, -1, 0, 0];
  await writeImageLocal(createImage('int16', [...REPLICA_CT.size], data, { spacing: [...REPLICA_CT.spacing], origin: [-4, -4, 7], direction }), path);
}

/** Writes the replica under `root`: knight.json and each case's imaging.nii.gz. */
export async function writeKnightReplica(root: string, cases: readonly ReplicaCase[] = REPLICA_CASES): Promise<void> {
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'knight.json'), JSON.stringify(cases.map(replicaRecord), null, 2));
  for (const c of cases) {
    mkdirSync(join(root, c.id), { recursive: true });
    await writeReplicaCt(join(root, c.id, 'imaging.nii.gz'), c);
  }
}

const RISK_GROUPS = ['benign', 'low_risk', 'intermediate_risk', 'high_risk', 'very_high_risk'] as const;

/**
 * `n` seeded cases spread over the five risk groups (case i in group i mod 5) with a signal in
 * both modalities that overlaps between neighbouring groups: the CT's HU and the radiographic size
 * grow with the group, plus noise; age, sex, BMI, smoking and comorbidities are drawn at random,
 * with some values missing.
 */
export function syntheticKnightCases(n: number, seed = 0): ReplicaCase[] {
  const rng = Rng.fromParts(['fuseflow.examples.knight-replica', seed]);
  return Array.from({ length: n }, (_, i) => {
    const group = i % 5;
    return {
      id: `case_${String(i).padStart(5, '0')}`,
      age: rng.bool(0.05) ? null : rng.int(30, 85),
      gender: rng.bool(0.5) ? 'male' : 'female',
      bmi: rng.bool(0.1) ? null : Math.round(rng.uniform(19, 40) * 100) / 100,
      comorbid: rng.bool(0.3),
      smoking: (['never_smoked', 'previous_smoker', 'current_smoker'] as const)[rng.int(0, 2)] as string,
      size: rng.bool(0.1) ? null : Math.max(0.5, Math.round((2 + 2 * group + rng.normal(0, 1)) * 10) / 10),
      egfr: rng.bool(0.2) ? null : rng.bool(0.2) ? '>=90' : rng.int(40, 89),
      risk: RISK_GROUPS[group],
      hu: Math.round(30 + 45 * group + rng.normal(0, 15)),
    };
  });
}
