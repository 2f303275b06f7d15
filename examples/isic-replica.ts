/**
 * A small ISIC 2019 replica in the published layout, for tests and the examples: the images
 * folder (`ISIC_2019_Training_Input/<image>.jpg` plus the archive's ATTRIBUTION.txt and
 * LICENSE.txt), `ISIC_2019_Training_GroundTruth.csv` (image + 9 one-hot columns written as
 * `0.0`/`1.0`, as published) and `ISIC_2019_Training_Metadata.csv` (image, age_approx,
 * anatom_site_general, lesion_id, sex; empty fields where a value is missing). Pixels are synthetic.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createImage } from '../src/core/image.js';
import { Rng } from '../src/core/rng.js';
import { ISIC_CLASSES } from '../src/datasets/isic/isic-tables.js';
import { writeImageLocal } from '../src/ops/image/io/write-image-local.js';

/** One replica image: its rows and its pixels (left half `left`, right half `right`, RGB 0–255). */
export interface IsicReplicaImage {
  readonly id: string;
  /** Index in ISIC_CLASSES. */
  readonly label: number;
  /** `age_approx` ('' when missing), written as published (`55.0`). */
  readonly age: number | '';
  readonly site: string;
  readonly lesion: string;
  readonly sex: string;
  readonly width: number;
  readonly height: number;
  readonly left: readonly [number, number, number];
  readonly right: readonly [number, number, number];
}

/** Hand-made images covering every encoding case (missing age/site/sex/lesion, age 0, shared lesions). */
export const ISIC_REPLICA_IMAGES: readonly IsicReplicaImage[] = [
  { id: 'ISIC_0000000', label: 1, age: 55, site: 'anterior torso', lesion: '', sex: 'female', width: 40, height: 30, left: [200, 40, 40], right: [40, 40, 200] },
  { id: 'ISIC_0000001', label: 1, age: 30, site: 'anterior torso', lesion: '', sex: 'female', width: 32, height: 32, left: [120, 120, 120], right: [120, 120, 120] },
  { id: 'ISIC_0000002', label: 0, age: 60, site: 'upper extremity', lesion: 'HAM_0000118', sex: 'male', width: 40, height: 30, left: [30, 160, 60], right: [30, 160, 60] },
  { id: 'ISIC_0000003', label: 0, age: 60, site: 'upper extremity', lesion: 'HAM_0000118', sex: 'male', width: 40, height: 30, left: [30, 160, 60], right: [30, 160, 60] },
  { id: 'ISIC_0000004', label: 2, age: '', site: '', lesion: 'BCN_0000019', sex: '', width: 24, height: 36, left: [10, 10, 10], right: [250, 250, 250] },
  { id: 'ISIC_0000005', label: 3, age: 0, site: 'head/neck', lesion: 'BCN_0000020', sex: 'male', width: 24, height: 24, left: [90, 20, 140], right: [90, 20, 140] },
  { id: 'ISIC_0000006', label: 4, age: 85, site: 'palms/soles', lesion: 'MSK4_0011165', sex: 'female', width: 24, height: 24, left: [180, 150, 90], right: [180, 150, 90] },
  { id: 'ISIC_0000007', label: 5, age: 100, site: 'oral/genital', lesion: 'HAM_0000200', sex: 'male', width: 24, height: 24, left: [60, 60, 60], right: [60, 60, 60] },
  { id: 'ISIC_0000008', label: 6, age: 15, site: 'lateral torso', lesion: 'HAM_0000201', sex: 'female', width: 24, height: 24, left: [220, 60, 120], right: [220, 60, 120] },
  { id: 'ISIC_0000009', label: 7, age: 45, site: 'lower extremity', lesion: 'HAM_0000202', sex: 'male', width: 24, height: 24, left: [150, 100, 50], right: [150, 100, 50] },
  { id: 'ISIC_0000010', label: 0, age: 70, site: 'posterior torso', lesion: 'HAM_0000203', sex: 'male', width: 24, height: 24, left: [30, 150, 70], right: [30, 150, 70] },
  { id: 'ISIC_0000011', label: 1, age: 25, site: 'posterior torso', lesion: 'HAM_0000204', sex: 'female', width: 24, height: 24, left: [130, 110, 120], right: [130, 110, 120] },
];

const MEL_LIKE: readonly [number, number, number] = [105, 75, 65];
const NV_LIKE: readonly [number, number, number] = [150, 110, 95];

/**
 * `n` seeded images of two classes (MEL and NV) whose colour says the class through noise (the
 * classes overlap), melanoma patients older on average, metadata drawn from every category, some
 * lesions shown twice, some fields missing.
 */
export function syntheticIsicImages(n: number, seed = 0): IsicReplicaImage[] {
  const rng = Rng.fromParts(['fuseflow.examples.isic-replica', seed]);
  const sites = ['anterior torso', 'upper extremity', 'posterior torso', 'lower extremity', 'lateral torso', 'head/neck', 'palms/soles', 'oral/genital', ''];
  const out: IsicReplicaImage[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2 === 0 ? 0 : 1;
    const base = label === 0 ? MEL_LIKE : NV_LIKE;
    const jitter = (c: readonly [number, number, number]): [number, number, number] =>
      c.map((v) => Math.max(0, Math.min(255, Math.round(v + rng.normal(0, 30))))) as [number, number, number];
    const lesionOf = i >= 2 && rng.bool(0.2) ? (out[i - 2]?.lesion ?? '') : rng.bool(0.1) ? '' : `HAM_${String(1000 + i).padStart(7, '0')}`;
    out.push({
      id: `ISIC_${String(i).padStart(7, '0')}`,
      label,
      age: rng.bool(0.1) ? '' : 5 * Math.max(1, Math.min(17, Math.round(rng.normal(label === 0 ? 12 : 8, 3)))),
      site: sites[rng.int(0, sites.length - 1)] as string,
      lesion: lesionOf,
      sex: ['male', 'female', ''][rng.int(0, 2)] as string,
      width: 24 + 4 * rng.int(0, 4),
      height: 24,
      left: jitter(base),
      right: jitter(base),
    });
  }
  return out;
}

/** The ground-truth CSV text of `images`, as published (`0.0` / `1.0`). */
export function groundTruthCsv(images: readonly IsicReplicaImage[]): string {
  const rows = images.map((m) => [m.id, ...ISIC_CLASSES.map((_, k) => (k === m.label ? '1.0' : '0.0'))].join(','));
  return `image,${ISIC_CLASSES.join(',')}\n${rows.join('\n')}\n`;
}

/** The metadata CSV text of `images`. */
export function metadataCsv(images: readonly IsicReplicaImage[]): string {
  const rows = images.map((m) => [m.id, m.age === '' ? '' : m.age.toFixed(1), m.site, m.lesion, m.sex].join(','));
  return `image,age_approx,anatom_site_general,lesion_id,sex\n${rows.join('\n')}\n`;
}

/** Writes the replica of `images` under `root`. */
export async function writeIsicReplica(root: string, images: readonly IsicReplicaImage[] = ISIC_REPLICA_IMAGES): Promise<void> {
  const input = join(root, 'ISIC_2019_Training_Input');
  mkdirSync(input, { recursive: true });
  writeFileSync(join(input, 'ATTRIBUTION.txt'), 'Synthetic replica for tests; the real archive lists the image contributors here.\n');
  writeFileSync(join(input, 'LICENSE.txt'), 'Synthetic replica for tests; the real archive holds CC-BY-NC 4.0 here.\n');
  writeFileSync(join(root, 'ISIC_2019_Training_GroundTruth.csv'), groundTruthCsv(images));
  writeFileSync(join(root, 'ISIC_2019_Training_Metadata.csv'), metadataCsv(images));
  for (const m of images) {
    const data = new Uint8Array(m.width * m.height * 3);
    for (let y = 0; y < m.height; y++)
      for (let x = 0; x < m.width; x++) {
        const c = x < m.width / 2 ? m.left : m.right;
        for (let k = 0; k < 3; k++) data[(y * m.width + x) * 3 + k] = c[k] as number;
      }
    await writeImageLocal(createImage('uint8', [m.width, m.height], data, { components: 3 }), join(input, `${m.id}.jpg`));
  }
}
