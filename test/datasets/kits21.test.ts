/**
 * The KiTS21 builder on a replica in the published layout (examples/kits21-replica.ts): ids,
 * labels, folds, the static pipeline's samples checked against the replica's shapes defined in
 * world coordinates (an independent reference: no fuseflow geometry code computes it), the
 * augmentation moving CT and labels together, and the errors for missing or malformed files.
 */
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, OptionsError } from '../../src/core/errors.js';
import type { Image } from '../../src/core/image.js';
import { createSample, getKey, type Sample } from '../../src/core/sample.js';
import { kits21, KITS21_NUMBERS } from '../../src/datasets/kits21/index.js';
import { closeIoPool } from '../../src/ops/image/io/io-pool.js';
import { readImageLocal } from '../../src/ops/image/io/read-image-local.js';
import { writeImageLocal } from '../../src/ops/image/io/write-image-local.js';
import { pipeline, pipelineSpec } from '../../src/ops/pipeline.js';
import { dataset } from '../../src/streams/dataset.js';
import { createWorkerRunner } from '../../src/workers/worker-runner.js';
import { KITS21_REPLICA_CASES, kits21ReplicaRecord, REPLICA_HU, replicaLabelAt, writeKits21Replica, writeKits21ReplicaCase } from '../../examples/kits21-replica.js';
import { tempFolder } from '../temp-folder.js';

const { dir } = tempFolder('fuseflow-kits21-test-');
const root = join(dir, 'kits21', 'data');
const kits19 = join(dir, 'kits19', 'data');
/** 2.5 mm voxels, 20³: the replica's 40 mm volumes (16 voxels) with 2 voxels of padding on each side. */
const SMALL = { spacing: [2.5, 2.5, 2.5], size: [20, 20, 20] } as const;

beforeAll(async () => {
  await writeKits21Replica(root);
  await writeKits21Replica(kits19, { layout: 'kits19', cases: KITS21_REPLICA_CASES.slice(0, 2) });
}, 60_000);
afterAll(async () => {
  await closeIoPool();
});

const malignant = KITS21_REPLICA_CASES.map((c) => (c.malignant ? 1 : 0));

/** World point (LPS) of voxel (x, y, z) of an image (direction columns = axis directions). */
function world(img: Image, x: number, y: number, z: number): [number, number, number] {
  const d = img.direction;
  const v = [x * (img.spacing[0] as number), y * (img.spacing[1] as number), z * (img.spacing[2] as number)];
  return [0, 1, 2].map(
    (r) => (img.origin[r] as number) + (d[3 * r] as number) * (v[0] as number) + (d[3 * r + 1] as number) * (v[1] as number) + (d[3 * r + 2] as number) * (v[2] as number),
  ) as [number, number, number];
}

const window01 = (hu: number): number => (Math.min(500, Math.max(-500, hu)) + 500) / 1000;

describe('kits21 builder on a replica in the published layout', () => {
  it('lists the cases, their malignancy labels and seeded folds grouped by case and balanced by label', () => {
    const k = kits21({ root, ...SMALL, folds: 2, seed: 3 });
    expect(k.ids).toEqual(KITS21_REPLICA_CASES.map((c) => c.id));
    expect(k.labels).toEqual(malignant);
    expect(k.labelKey).toBe('data.gt.malignant');
    expect(k.classNames).toEqual(['benign', 'malignant']);
    expect(k.segmentationFile).toBe('aggregated_MAJ_seg.nii.gz');
    expect(k.segLabels).toEqual(['background', 'kidney', 'tumor', 'cyst']);
    expect(k.files).toEqual([join(root, 'kits.json')]);
    expect(k.folds.flat().sort()).toEqual([...k.ids]);
    // 4 malignant, 2 benign over 2 folds: 2 + 1 per fold
    for (const fold of k.folds) expect(fold.map((id) => malignant[k.ids.indexOf(id)]).sort()).toEqual([0, 1, 1]);
    expect(kits21({ root, ...SMALL, folds: 2, seed: 3 }).folds).toEqual(k.folds);
    const bySex = kits21({ root, ...SMALL, folds: 2, seed: 3, balance: ['label', 'sex'] });
    expect(bySex.foldPlan?.samples.map((s) => s.balance['sex'])).toEqual(KITS21_REPLICA_CASES.map((c) => (c.gender === null ? 'unknown' : c.gender)));
    expect(kits21({ root, ...SMALL, segmentation: 'OR', ids: ['case_00003', 'case_00001'] })).toMatchObject({
      ids: ['case_00003', 'case_00001'],
      labels: [1, 1],
      segmentationFile: 'aggregated_OR_seg.nii.gz',
    });
  });

  it('loads, reorients to RAS, resamples (CT linear, labels nearest) and windows each case onto the replica’s shapes', async () => {
    const k = kits21({ root, ...SMALL });
    const ds = dataset({ ids: k.ids, staticPipeline: k.staticPipeline });
    for (const c of KITS21_REPLICA_CASES) {
      const s = await ds.get(c.id);
      const img = getKey<Image>(s, 'data.input.img');
      const seg = getKey<Image>(s, 'data.gt.seg');
      expect(img).toMatchObject({ dtype: 'float32', shape: [20, 20, 20], spacing: [2.5, 2.5, 2.5] });
      expect(seg.shape).toEqual([20, 20, 20]);
      expect(seg.origin).toEqual(img.origin);
      expect(img.direction).toEqual([-1, 0, 0, 0, -1, 0, 0, 0, 1]); // RAS in ITK's LPS terms
      expect(getKey(s, 'data.input.img_path')).toBe(`${c.id}/imaging.nii.gz`);
      expect(getKey(s, 'data.gt.seg_path')).toBe(`${c.id}/aggregated_MAJ_seg.nii.gz`);
      expect(getKey(s, 'data.gt.malignant')).toBe(c.malignant ? 1 : 0);
      expect(getKey(s, 'data.clinical.age_at_nephrectomy')).toBe(c.age ?? NaN);
      expect(getKey(s, 'data.clinical.gender')).toBe(c.gender ?? '');
      // every voxel: the label is the replica's label at that world point, away from the shapes' edges
      // (nearest neighbour may pick the neighbour's label there); the CT is its window value
      let agree = 0;
      let inside = 0;
      let padded = 0;
      for (let z = 0; z < 20; z++) {
        for (let y = 0; y < 20; y++) {
          for (let x = 0; x < 20; x++) {
            const p = world(img, x, y, z);
            // beyond the scan's edge (half a voxel past its outer voxel centres): the padding
            const outside = p.some((v, axis) => Math.abs(v) > (axis === 2 ? c.size[0] * c.spacing[0] : c.size[axis === 0 ? 2 : 1] * c.spacing[axis === 0 ? 2 : 1]) / 2);
            const at = (z * 20 + y) * 20 + x;
            if (outside) {
              expect(seg.data[at]).toBe(0);
              expect(img.data[at]).toBeCloseTo(0, 6); // padding: the window's lower end
              padded++;
              continue;
            }
            inside++;
            const label = replicaLabelAt(c, p);
            // interpolation reads the input voxels up to one input step away along each world axis (x ↔ file axis 2, y ↔ 1, z ↔ 0)
            const step = [c.spacing[2], c.spacing[1], c.spacing[0]];
            const near = [-1, 0, 1].flatMap((ex) =>
              [-1, 0, 1].flatMap((ey) =>
                [-1, 0, 1].map((ez) => replicaLabelAt(c, [p[0] + ex * (step[0] as number), p[1] + ey * (step[1] as number), p[2] + ez * (step[2] as number)])),
              ),
            );
            if (near.every((l) => l === label)) {
              expect(seg.data[at]).toBe(label);
              expect(img.data[at]).toBeCloseTo(window01(REPLICA_HU[label] as number), 5);
            }
            if (seg.data[at] === label) agree++;
          }
        }
      }
      expect(padded).toBe(20 ** 3 - 16 ** 3);
      expect(agree / inside).toBeGreaterThan(0.9);
    }
  });

  it('reads the KiTS19 layout (segmentation.nii.gz, labels 0..2) when the aggregated files are absent', async () => {
    const k = kits21({ root: kits19, ...SMALL, folds: 2 });
    expect(k.segmentationFile).toBe('segmentation.nii.gz');
    expect(k.segLabels).toEqual(['background', 'kidney', 'tumor']);
    const s = await dataset({ ids: k.ids, staticPipeline: k.staticPipeline }).get('case_00001');
    expect(Math.max(...getKey<Image>(s, 'data.gt.seg').data)).toBe(2);
  });

  it('augments CT and labels with one draw: same seed same sample, labels still on their tissue', async () => {
    const k = kits21({ root, ...SMALL });
    const ds = dataset({ ids: k.ids, staticPipeline: k.staticPipeline, dynamicPipeline: k.dynamicPipeline });
    const run = async (seed: number): Promise<Sample[]> => {
      const out: Sample[] = [];
      for await (const s of ds.stream({ seed, epoch: 0, shuffle: false, window: 2 })) out.push(s);
      return out;
    };
    const a = await run(5);
    const b = await run(5);
    const c = await run(6);
    const img = (s: Sample): Float32Array => getKey<Image>(s, 'data.input.img').data as Float32Array;
    const seg = (s: Sample): ArrayLike<number> => getKey<Image>(s, 'data.gt.seg').data;
    expect(a.map(img)).toEqual(b.map(img));
    expect(a.map((s) => Array.from(seg(s)))).toEqual(b.map((s) => Array.from(seg(s))));
    expect(a.map(img)).not.toEqual(c.map(img));
    let moved = 0;
    let checked = 0;
    const statics = await Promise.all(k.ids.map((id) => dataset({ ids: k.ids, staticPipeline: k.staticPipeline }).get(id)));
    for (const [i, s] of [...a, ...c].entries()) {
      const labels = seg(s);
      if (Array.from(labels).some((v, j) => v !== seg(statics[i % statics.length] as Sample)[j])) moved++;
      expect(Array.from(labels).every((v) => [0, 1, 2, 3].includes(v))).toBe(true);
      // gamma, contrast and shift keep the order of the tissues' intensities: kidney > tumor > fat,
      // which holds only if the labels moved with the CT
      const median = (label: number): number => {
        const v = Array.from(img(s)).filter((_, j) => labels[j] === label);
        return v.sort((p, q) => p - q)[v.length >> 1] ?? NaN;
      };
      if ([0, 1, 2].some((l) => !Array.from(labels).includes(l))) continue; // a tissue moved out of the box
      checked++;
      expect(median(1)).toBeGreaterThan(median(2));
      expect(median(2)).toBeGreaterThan(median(0));
    }
    expect(moved).toBeGreaterThan(2); // the spatial draws did move some cases
    expect(checked).toBeGreaterThan(8);
    expect(kits21({ root, ...SMALL, augment: false }).dynamicPipeline).toEqual([]);
  });

  it('rebuilds its static pipeline on a worker thread (its ops say which module registers them) with the in-thread result', async () => {
    const k = kits21({ root, ...SMALL, ids: ['case_00001'] });
    const runner = createWorkerRunner({ pipeline: pipelineSpec(pipeline(k.staticPipeline)), threads: 1 });
    try {
      const [[onWorker]] = (await runner.run([createSample('case_00001')], { seed: 0, epoch: 0 })) as [[Sample]];
      const inThread = await dataset({ ids: k.ids, staticPipeline: k.staticPipeline }).get('case_00001');
      for (const key of ['data.input.img', 'data.gt.seg']) expect(Array.from(getKey<Image>(onWorker, key).data)).toEqual(Array.from(getKey<Image>(inThread, key).data));
      expect(getKey(onWorker, 'data.clinical')).toEqual(getKey(inThread, 'data.clinical'));
    } finally {
      await runner.close();
    }
  });

  it('copies the documented clinical fields, NaN or empty for missing values', async () => {
    const k = kits21({ root, ...SMALL, ids: ['case_00002', 'case_00004'] });
    const ds = dataset({ ids: k.ids, staticPipeline: k.staticPipeline.slice(0, 3) }); // paths and clinical fields only
    const s2 = await ds.get('case_00002');
    expect(getKey(s2, 'data.clinical')).toEqual({
      age_at_nephrectomy: NaN,
      body_mass_index: 29.47,
      radiographic_size: 0.7000000000000001,
      tumor_isup_grade: NaN,
      gender: 'male',
      tumor_histologic_subtype: 'oncocytoma',
      pathology_t_stage: '0',
    });
    expect(Object.keys(getKey(await ds.get('case_00004'), 'data.clinical'))).toEqual([...KITS21_NUMBERS, 'gender', 'tumor_histologic_subtype', 'pathology_t_stage']);
    expect(getKey(await ds.get('case_00004'), 'data.clinical.gender')).toBe('');
  });
});

describe('kits21 errors name the file, the case and the key', () => {
  /** A fresh copy of the replica's structure for one broken variant (CTs of two cases). */
  async function variant(name: string): Promise<string> {
    const r = join(dir, name);
    rmSync(r, { recursive: true, force: true });
    await writeKits21Replica(r, { cases: KITS21_REPLICA_CASES.slice(0, 2) });
    return r;
  }

  it('refuses bad options when built', () => {
    expect(() => kits21({ root: '' })).toThrow(OptionsError);
    expect(() => kits21({ root, spacing: [1, 1] as unknown as [number, number, number] })).toThrow(/'spacing' must be 3 positive numbers/);
    expect(() => kits21({ root, size: [16, 16, 0.5] })).toThrow(/'size' must be 3 positive integers/);
    expect(() => kits21({ root, intensity: { min: 10, max: 0, outMin: 0, outMax: 1 } })).toThrow(/'intensity'/);
    expect(() => kits21({ root, segmentation: 'MEAN' as 'MAJ' })).toThrow(/'segmentation' must be one of MAJ, AND, OR, kits19/);
    expect(() => kits21({ root, ids: ['case_00001', 'case_00001'] })).toThrow(/twice/);
  });

  it('a missing folder, kits.json, CT or segmentation', async () => {
    expect(() => kits21({ root: join(dir, 'nowhere') })).toThrow(/nowhere.*missing folder: expected the KiTS21 data folder/);
    const r = await variant('missing-files');
    rmSync(join(r, 'case_00001', 'aggregated_MAJ_seg.nii.gz'));
    expect(() => kits21({ root: r })).toThrow(InputError);
    expect(() => kits21({ root: r })).toThrow(
      /case_00001[/\\]aggregated_MAJ_seg\.nii\.gz: missing file: expected the segmentation of case 'case_00001' \(KiTS21 MAJ aggregation\)/,
    );
    rmSync(join(r, 'case_00000', 'imaging.nii.gz'));
    expect(() => kits21({ root: r })).toThrow(/case_00000[/\\]imaging\.nii\.gz: missing file: expected the CT of case 'case_00000'/);
    rmSync(join(r, 'kits.json'));
    expect(() => kits21({ root: r })).toThrow(/kits\.json: missing file: expected the KiTS21 clinical data/);
  });

  it('a malformed kits.json: not JSON, a bad value, a case without a record', async () => {
    const r = await variant('bad-json');
    const file = join(r, 'kits.json');
    writeFileSync(file, '[{"case_id": "case_00000",');
    expect(() => kits21({ root: r })).toThrow(/kits\.json: cannot read the KiTS21 clinical data/);
    const records = KITS21_REPLICA_CASES.slice(0, 2).map(kits21ReplicaRecord);
    writeFileSync(file, JSON.stringify([records[0], { ...records[1], malignant: 'yes' }]));
    expect(() => kits21({ root: r })).toThrow(/kits\.json: case 'case_00001': key 'malignant' must be true or false, found "yes"/);
    writeFileSync(file, JSON.stringify([{ ...records[0], age_at_nephrectomy: '49' }, records[1]]));
    expect(() => kits21({ root: r })).toThrow(/case 'case_00000': key 'age_at_nephrectomy' must be a number or null, found "49"/);
    writeFileSync(file, JSON.stringify([records[0]]));
    expect(kits21({ root: r }).ids).toEqual(['case_00000']); // a folder without a record is left out…
    expect(() => kits21({ root: r, ids: ['case_00001'] })).toThrow(/kits\.json: no record with case_id 'case_00001'/); // …unless named
  });

  it('a segmentation on another grid or holding a value that is not a KiTS label fails its case', async () => {
    const r = await variant('bad-seg');
    // case_00001's labels put in case_00000's folder: another size and spacing
    copyFileSync(join(r, 'case_00001', 'aggregated_MAJ_seg.nii.gz'), join(r, 'case_00000', 'aggregated_MAJ_seg.nii.gz'));
    const k = kits21({ root: r });
    const ds = dataset({ ids: k.ids, staticPipeline: k.staticPipeline });
    await expect(ds.get('case_00000')).rejects.toThrow(
      /case_00000[\s\S]*aggregated_MAJ_seg\.nii\.gz: case 'case_00000': the segmentation is not on the CT's grid \(case_00000\/imaging\.nii\.gz\): size \[16, 32, 32\] vs \[20, 40, 40\]/,
    );
    await expect(ds.get('case_00001')).resolves.toBeDefined();
    // a label 7 (e.g. a per-structure file from segmentations/ used by mistake)
    const c = { ...(KITS21_REPLICA_CASES[0] as (typeof KITS21_REPLICA_CASES)[number]), cystRadius: 0 };
    const tmp = join(dir, 'seg7');
    mkdirSync(tmp, { recursive: true });
    await writeKits21ReplicaCase(tmp, c);
    const seg = await readImageLocal(join(tmp, c.id, 'aggregated_MAJ_seg.nii.gz'));
    const data = new Uint8Array(seg.data as Uint8Array);
    data[5] = 7;
    await writeImageLocal({ ...seg, data }, join(tmp, 'seg7.nii.gz'));
    copyFileSync(join(tmp, 'seg7.nii.gz'), join(r, 'case_00000', 'aggregated_MAJ_seg.nii.gz'));
    await expect(dataset({ ids: k.ids, staticPipeline: k.staticPipeline }).get('case_00000')).rejects.toThrow(
      /case 'case_00000': voxel 5 holds 7; a KiTS segmentation holds the labels 0\.\.3/,
    );
  });
});
