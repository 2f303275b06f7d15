/**
 * A small KiTS21 replica in the published layout (github.com/neheller/kits21, `kits21/data/`), for
 * the builder's tests and the KiTS21 example: `kits.json` with the real record structure (every
 * field of a published record, values made up) and per case `imaging.nii.gz` (int16 HU) plus
 * `aggregated_MAJ_seg.nii.gz`, `aggregated_AND_seg.nii.gz`, `aggregated_OR_seg.nii.gz` (uint8
 * labels), or KiTS19's `segmentation.nii.gz`. Volumes are in KiTS's axis order: index axis 0 runs
 * over the axial slices from the top down, then y, then x, with per-case spacing (as real scans).
 *
 * The pixels are synthetic: a kidney ellipsoid (label 1, 150 HU) holding a spherical tumor (label
 * 2, 60 HU) and, in some cases, a cyst (label 3, 10 HU), in fat (-100 HU). The shapes are defined
 * in world coordinates (mm, LPS) by {@link replicaLabelAt}, so a test can check any resampled grid
 * against them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createImage } from '../src/core/image.js';
import { Rng } from '../src/core/rng.js';
import { writeImageLocal } from '../src/ops/image/io/write-image-local.js';

/** One replica case: its geometry, shapes and clinical values. */
export interface Kits21ReplicaCase {
  readonly id: string;
  /** Voxel counts in index order (slices, y, x) and spacing in mm (slice step, y, x). */
  readonly size: readonly [number, number, number];
  readonly spacing: readonly [number, number, number];
  /** Kidney centre (mm, LPS), semi-axes (mm), tumor centre offset from the kidney centre and radius (mm), cyst radius (0: none). */
  readonly kidney: { readonly center: readonly [number, number, number]; readonly axes: readonly [number, number, number] };
  readonly tumor: { readonly offset: readonly [number, number, number]; readonly radius: number };
  readonly cystRadius: number;
  readonly malignant: boolean;
  readonly age: number | null;
  readonly gender: string | null;
}

/** HU of each label (background, kidney, tumor, cyst). */
export const REPLICA_HU = [-100, 150, 60, 10] as const;

/** Six cases: four malignant, two benign; spacings and sizes differ as in the real data. */
export const KITS21_REPLICA_CASES: readonly Kits21ReplicaCase[] = [
  {
    id: 'case_00000',
    size: [16, 32, 32],
    spacing: [2.5, 1.25, 1.25],
    kidney: { center: [1, 2, 0], axes: [10, 8, 12] },
    tumor: { offset: [4, 0, 2], radius: 4 },
    cystRadius: 0,
    malignant: true,
    age: 49,
    gender: 'male',
  },
  {
    id: 'case_00001',
    size: [20, 40, 40],
    spacing: [2, 1, 1],
    kidney: { center: [-2, 0, 2], axes: [9, 8, 11] },
    tumor: { offset: [-3, 2, -3], radius: 5 },
    cystRadius: 3,
    malignant: true,
    age: 50,
    gender: 'female',
  },
  {
    id: 'case_00002',
    size: [16, 32, 32],
    spacing: [2.5, 1.25, 1.25],
    kidney: { center: [0, -2, -1], axes: [11, 9, 10] },
    tumor: { offset: [3, 3, 0], radius: 3.5 },
    cystRadius: 0,
    malignant: false,
    age: null,
    gender: 'male',
  },
  {
    id: 'case_00003',
    size: [10, 32, 32],
    spacing: [4, 1.25, 1.25],
    kidney: { center: [2, 1, 1], axes: [10, 9, 12] },
    tumor: { offset: [-4, -2, 3], radius: 4.5 },
    cystRadius: 2.5,
    malignant: true,
    age: 44,
    gender: 'female',
  },
  {
    id: 'case_00004',
    size: [20, 40, 40],
    spacing: [2, 1, 1],
    kidney: { center: [-1, 1, 0], axes: [9, 10, 11] },
    tumor: { offset: [2, -3, -2], radius: 4 },
    cystRadius: 0,
    malignant: false,
    age: 73,
    gender: null,
  },
  {
    id: 'case_00005',
    size: [16, 32, 32],
    spacing: [2.5, 1.25, 1.25],
    kidney: { center: [0, 0, 0], axes: [10, 8, 11] },
    tumor: { offset: [-2, 2, 4], radius: 5 },
    cystRadius: 0,
    malignant: true,
    age: 35,
    gender: 'male',
  },
];

/** Direction of KiTS's files in LPS, row-major: index axis 0 → (0, 0, -1), axis 1 → (0, 1, 0), axis 2 → (1, 0, 0). */
export const KITS_DIRECTION = [0, 0, 1, 0, 1, 0, -1, 0, 0] as const;

/** The world position (mm, LPS) of the first voxel: the volume is centred on the world origin. */
export function replicaOrigin(c: Kits21ReplicaCase): [number, number, number] {
  const [n0, n1, n2] = c.size;
  const [s0, s1, s2] = c.spacing;
  // axis 0 runs toward -z from the top slice, axis 1 toward +y, axis 2 toward +x
  return [(-(n2 - 1) * s2) / 2, (-(n1 - 1) * s1) / 2, ((n0 - 1) * s0) / 2];
}

/** The label at a world point (mm, LPS): 3 cyst (the cyst sits opposite the tumor in the kidney), 2 tumor, 1 kidney, 0 background. */
export function replicaLabelAt(c: Kits21ReplicaCase, p: readonly [number, number, number]): number {
  const [cx, cy, cz] = c.kidney.center;
  const [ax, ay, az] = c.kidney.axes;
  const d = [p[0] - cx, p[1] - cy, p[2] - cz] as const;
  const t = c.tumor.offset;
  if (Math.hypot(d[0] - t[0], d[1] - t[1], d[2] - t[2]) <= c.tumor.radius) return 2;
  if (c.cystRadius > 0 && Math.hypot(d[0] + t[0], d[1] + t[1], d[2] + t[2]) <= c.cystRadius) return 3;
  return (d[0] / ax) ** 2 + (d[1] / ay) ** 2 + (d[2] / az) ** 2 <= 1 ? 1 : 0;
}

/** World point (mm, LPS) of file voxel (i, j, k) = index along axes 0, 1, 2. */
function worldOf(c: Kits21ReplicaCase, i: number, j: number, k: number): [number, number, number] {
  const [ox, oy, oz] = replicaOrigin(c);
  return [ox + k * c.spacing[2], oy + j * c.spacing[1], oz - i * c.spacing[0]];
}

/** KiTS's comorbidity flags (`comorbidities` of a kits.json or knight.json record). */
export const KITS_COMORBIDITIES = [
  'myocardial_infarction',
  'congestive_heart_failure',
  'peripheral_vascular_disease',
  'cerebrovascular_disease',
  'dementia',
  'copd',
  'connective_tissue_disease',
  'peptic_ulcer_disease',
  'uncomplicated_diabetes_mellitus',
  'diabetes_mellitus_with_end_organ_damage',
  'chronic_kidney_disease',
  'hemiplegia_from_stroke',
  'leukemia',
  'malignant_lymphoma',
  'localized_solid_tumor',
  'metastatic_solid_tumor',
  'mild_liver_disease',
  'moderate_to_severe_liver_disease',
  'aids',
] as const;

/**
 * A record with every field of KiTS's published clinical records (kits.json; KNIGHT's knight.json
 * holds the same fields): plausible fixed values for the fields no builder reads, `fields` for the
 * rest (they replace the fixed ones).
 */
export function kitsRecord(fields: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return {
    age_when_quit_smoking: 'not_applicable',
    pack_years: 0,
    chewing_tobacco_use: 'never_or_not_in_last_3mo',
    alcohol_use: 'two_or_less_daily',
    intraoperative_complications: { blood_transfusion: false, injury_to_surrounding_organ: false, cardiac_event: false },
    hospitalization: 2,
    ischemia_time: 20,
    pathologic_size: 2.1,
    pathology_n_stage: '0',
    pathology_m_stage: '0',
    tumor_necrosis: false,
    clavien_surgical_complications: '0',
    er_visit: false,
    readmission: false,
    estimated_blood_loss: 400,
    surgery_type: 'robotic',
    surgical_procedure: 'partial_nephrectomy',
    surgical_approach: 'Transperitoneal',
    operative_time: 324,
    cytoreductive: false,
    positive_resection_margins: false,
    first_postop_egfr: { value: 76.0, days_before_nephrectomy: 184 },
    last_postop_egfr: { value: '>=90', days_before_nephrectomy: 1420 },
    vital_status: 'censored',
    ...fields,
  };
}

/** A kits.json record with every field of the published records. */
export function kits21ReplicaRecord(c: Kits21ReplicaCase): Record<string, unknown> {
  return kitsRecord({
    case_id: c.id,
    age_at_nephrectomy: c.age,
    gender: c.gender,
    body_mass_index: 29.47,
    comorbidities: Object.fromEntries(KITS_COMORBIDITIES.map((k) => [k, false])),
    smoking_history: 'never_smoked',
    radiographic_size: 2 * c.tumor.radius * 0.1,
    malignant: c.malignant,
    pathology_t_stage: c.malignant ? '1a' : '0',
    tumor_histologic_subtype: c.malignant ? 'clear_cell_rcc' : 'oncocytoma',
    tumor_isup_grade: c.malignant ? 2 : null,
    last_preop_egfr: { value: 77.0, days_before_nephrectomy: 54 },
    vital_days_after_surgery: 1420,
    voxel_spacing: { x_spacing: c.spacing[2], y_spacing: c.spacing[1], z_spacing: c.spacing[0] },
  });
}

/** Options of {@link writeKits21Replica}. */
export interface Kits21ReplicaOptions {
  /** `'kits21'` (default): the three aggregated segmentations; `'kits19'`: `segmentation.nii.gz` (labels 0..2, cysts drawn as kidney). */
  readonly layout?: 'kits21' | 'kits19';
  /** Cases to write. Default {@link KITS21_REPLICA_CASES}. */
  readonly cases?: readonly Kits21ReplicaCase[];
}

/** Writes one case's CT and label map(s) under `root/<id>/`. */
export async function writeKits21ReplicaCase(root: string, c: Kits21ReplicaCase, layout: 'kits21' | 'kits19' = 'kits21'): Promise<void> {
  const [n0, n1, n2] = c.size;
  const hu = new Int16Array(n0 * n1 * n2);
  const labels = new Uint8Array(n0 * n1 * n2);
  for (let k = 0; k < n2; k++) {
    for (let j = 0; j < n1; j++) {
      for (let i = 0; i < n0; i++) {
        const label = replicaLabelAt(c, worldOf(c, i, j, k));
        const at = (k * n1 + j) * n0 + i; // index axis 0 varies fastest
        hu[at] = REPLICA_HU[label] as number;
        labels[at] = layout === 'kits19' && label === 3 ? 1 : label;
      }
    }
  }
  const geometry = { spacing: [...c.spacing], origin: replicaOrigin(c), direction: [...KITS_DIRECTION] };
  const dir = join(root, c.id);
  mkdirSync(dir, { recursive: true });
  await writeImageLocal(createImage('int16', [...c.size], hu, geometry), join(dir, 'imaging.nii.gz'));
  const segFiles = layout === 'kits19' ? ['segmentation.nii.gz'] : ['aggregated_MAJ_seg.nii.gz', 'aggregated_AND_seg.nii.gz', 'aggregated_OR_seg.nii.gz'];
  for (const name of segFiles) await writeImageLocal(createImage('uint8', [...c.size], labels, geometry), join(dir, name));
}

/** Writes the replica under `root` (the repository's `kits21/data`): `kits.json` and every case. */
export async function writeKits21Replica(root: string, options: Kits21ReplicaOptions = {}): Promise<void> {
  const cases = options.cases ?? KITS21_REPLICA_CASES;
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'kits.json'), JSON.stringify(cases.map(kits21ReplicaRecord), null, 2));
  for (const c of cases) await writeKits21ReplicaCase(root, c, options.layout);
}

/**
 * `n` seeded replica cases (`case_00000` …): kidney placement, size, tumor, cyst, spacing and
 * malignancy drawn from `seed`, two thirds malignant. For examples that need more cases than
 * {@link KITS21_REPLICA_CASES}.
 */
export function kits21ReplicaCases(n: number, seed: number): Kits21ReplicaCase[] {
  const rng = Rng.fromParts(['fuseflow.examples.kits21-replica', seed]);
  const geometries = [
    { size: [16, 32, 32], spacing: [2.5, 1.25, 1.25] },
    { size: [20, 40, 40], spacing: [2, 1, 1] },
    { size: [10, 32, 32], spacing: [4, 1.25, 1.25] },
  ] as const;
  return Array.from({ length: n }, (_, i): Kits21ReplicaCase => {
    const g = geometries[i % geometries.length] as (typeof geometries)[number];
    const u = (lo: number, hi: number): number => Math.round(rng.uniform(lo, hi) * 4) / 4;
    return {
      id: `case_${String(i).padStart(5, '0')}`,
      size: g.size,
      spacing: g.spacing,
      kidney: { center: [u(-3, 3), u(-3, 3), u(-3, 3)], axes: [u(8, 11), u(7, 10), u(9, 12)] },
      tumor: { offset: [u(-4, 4), u(-3, 3), u(-4, 4)], radius: u(3, 5) },
      cystRadius: i % 3 === 1 ? u(2, 3) : 0,
      malignant: i % 3 !== 2,
      age: 30 + rng.int(0, 50),
      gender: i % 2 === 0 ? 'male' : 'female',
    };
  });
}
