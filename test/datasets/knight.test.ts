import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSampleCache } from '../../src/cache/open-cache.js';
import { InputError, OptionsError } from '../../src/core/errors.js';
import type { Image } from '../../src/core/image.js';
import { getKey } from '../../src/core/sample.js';
import type { Tensor } from '../../src/core/tensor.js';
import { encodeKnightClinical, knight, KNIGHT_FEATURES } from '../../src/datasets/index.js';
import { closeIoPool } from '../../src/ops/image/io/io-pool.js';
import { pipeline } from '../../src/ops/pipeline.js';
import { dataset } from '../../src/streams/dataset.js';
import { tempFolder } from '../temp-folder.js';
import { REPLICA_CASES, replicaRecord, writeKnightReplica, writeReplicaCt } from '../../examples/knight-replica.js';

const { dir } = tempFolder('fuseflow-knight-test-');
const root = join(dir, 'knight', 'data');
const SMALL = { spacing: [1.6, 1.6, 5], size: [8, 4, 4] } as const;
const pad = (-62 - 104) / 75.3;

beforeAll(async () => {
  await writeKnightReplica(root);
}, 60_000);
afterAll(async () => {
  await closeIoPool();
});

/** Hand-derived encodings (FuseMedML's OpPrepareClinical on each replica record). */
const EXPECTED_CLINICAL: Record<string, number[]> = {
  case_00000: [49 / 120, 29.47 / 50, 2.4 / 15, 77 / 90, 1, 0, 1, 0, 1, 0, 0],
  case_00001: [50 / 120, 33.71 / 50, 2.2 / 15, 90 / 90, 0, 1, 0, 1, 0, 1, 0],
  case_00002: [74 / 120, -1, 4.1 / 15, 77 / 90, 1, 0, 1, 0, 0, 0, 1], // bmi null, size null → 4.1, eGFR value null → 77
  case_00003: [-1, -1, 4.9 / 15, 77 / 90, 0, 0, 0, 0, 0, 0, 0], // age 130 and bmi 8 implausible; gender, comorbidities, smoking null
  case_00004: [61 / 120, 24.42 / 50, 7.5 / 15, -1, 0, 1, 1, 0, 0, 1, 0], // eGFR 250 implausible; 'Female'
  case_00005: [35 / 120, 35.96 / 50, 4.9 / 15, 45 / 90, 1, 0, 0, 1, 0, 0, 1],
};

function numbers(t: unknown): number[] {
  return Array.from((t as Tensor).data as Float32Array);
}

describe('knight builder on a replica in the published layout', () => {
  it('lists the cases, their labels for both tasks and seeded folds balanced by label', () => {
    const k = knight({ root, ...SMALL, folds: 3, seed: 7 });
    expect(k.ids).toEqual(REPLICA_CASES.map((c) => c.id));
    expect(k.task2).toEqual([2, 1, 3, 4, 0, 3]);
    expect(k.task1).toEqual([0, 0, 1, 1, 0, 1]);
    expect(k.labels).toEqual(k.task1);
    expect(k.labelKey).toBe('data.gt.gt_global.task_1_label');
    expect(k.classNames).toEqual(['NoAT', 'CanAT']);
    expect(k.folds.flat().sort()).toEqual([...k.ids]);
    // 3 CanAT and 3 NoAT over 3 folds: one of each per fold
    for (const fold of k.folds) expect(fold.map((id) => k.task1[k.ids.indexOf(id)]).sort()).toEqual([0, 1]);
    expect(knight({ root, ...SMALL, folds: 3, seed: 7 }).folds).toEqual(k.folds);
    const k2 = knight({ root, ...SMALL, task: 2, ids: ['case_00004', 'case_00001'] });
    expect(k2.ids).toEqual(['case_00004', 'case_00001']);
    expect(k2.labels).toEqual([0, 1]);
    expect(k2.classNames).toEqual(['B', 'LR', 'IR', 'HR', 'VHR']);
  });

  it('exposes each case’s sex and balances the folds on label and sex in a fold file reloaded by the next build', () => {
    const k = knight({ root, ...SMALL, folds: 2, seed: 1, balance: ['label', 'sex'], foldFile: join(dir, 'knight-folds.json') });
    // the replica's gender fields: male, female, male, null, 'Female', male
    expect(k.sex).toEqual(['male', 'female', 'male', 'unknown', 'female', 'male']);
    expect(k.foldSource).toBe('written');
    expect(k.foldPlan?.balanceKeys).toEqual(['label', 'sex']);
    expect(k.foldPlan?.samples.map((s) => s.group)).toEqual([...k.ids]);
    expect(k.foldPlan?.samples[3]?.balance).toEqual({ label: 1, sex: 'unknown' });
    // strata (label, sex): (0,m) c0; (0,f) c1 c4; (1,m) c2 c5; (1,u) c3 — each 2-member stratum split over the 2 folds
    for (const pair of [
      ['case_00001', 'case_00004'],
      ['case_00002', 'case_00005'],
    ]) {
      expect(new Set(pair.map((id) => k.folds.findIndex((f) => f.includes(id)))).size).toBe(2);
    }
    const again = knight({ root, ...SMALL, folds: 2, seed: 1, balance: ['label', 'sex'], foldFile: join(dir, 'knight-folds.json') });
    expect(again.foldSource).toBe('reloaded');
    expect(again.folds).toEqual(k.folds);
    expect(() => knight({ root, ...SMALL, task: 2, folds: 2, seed: 1, balance: ['label', 'sex'], foldFile: join(dir, 'knight-folds.json') })).toThrow(
      /knight-folds\.json: the data set changed since this fold file was written: \d+ values changed \(case_00000: label 0 → 2/,
    );
    expect(() => knight({ root, ...SMALL, balance: ['site' as 'sex'] })).toThrow("knight: option 'balance' names 'site', expected some of label, sex");
  });

  it('encodes the clinical features as the KNIGHT baseline does, missing values included', () => {
    expect(KNIGHT_FEATURES).toHaveLength(11);
    for (const c of REPLICA_CASES) {
      const got = encodeKnightClinical(replicaRecord(c), 'knight.json', c.id);
      const want = EXPECTED_CLINICAL[c.id] as number[];
      got.forEach((v, i) => expect(v, `${c.id} ${KNIGHT_FEATURES[i]}`).toBeCloseTo(want[i] as number, 12));
    }
  });

  it('static pipeline: keys, shape, reorientation, resampling, HU normalisation, crop/pad, clinical vector', async () => {
    const k = knight({ root, ...SMALL });
    const ds = dataset({ ids: k.ids, staticPipeline: k.staticPipeline });
    const s0 = await ds.get('case_00000');
    const img = getKey<Image>(s0, 'data.input.img');
    expect(img.shape).toEqual([4, 4, 8]); // [z, y, x] = size reversed
    expect(img.dtype).toBe('float32');
    expect(img.spacing.map((x) => Number(x.toFixed(6)))).toEqual([1.6, 1.6, 5]);
    expect(img.direction).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1].map((v, i) => (i === 0 || i === 4 ? -v : v))); // RAS in LPS world: x → right, y → anterior
    expect(getKey(s0, 'data.input.case_id')).toBe('case_00000');
    expect(getKey(s0, 'data.input.img_path')).toBe('case_00000/imaging.nii.gz');
    expect(getKey(s0, 'data.gt.gt_global.task_1_label')).toBe(0);
    expect(getKey(s0, 'data.gt.gt_global.task_2_label')).toBe(2);
    numbers(getKey(s0, 'data.input.clinical.all')).forEach((v, i) => expect(v).toBeCloseTo(EXPECTED_CLINICAL['case_00000']?.[i] as number, 6));
    // 6×5×3 voxels after resampling, placed in 8×4×4: x padded 1 each side, y cropped to 0..3, z padded 1 before
    const v = (x: number, y: number, z: number): number => img.data[(z * 4 + y) * 8 + x] as number;
    let inside = 0;
    for (let z = 0; z < 4; z++)
      for (let y = 0; y < 4; y++)
        for (let x = 0; x < 8; x++) {
          const isPad = x === 0 || x === 7 || z === 0;
          expect(v(x, y, z)).toBeCloseTo(isPad ? pad : (200 - 104) / 75.3, 5);
          if (!isPad) inside++;
        }
    expect(inside).toBe(6 * 4 * 3);
    // -1000 HU clips to -62: the whole volume equals the pad value; 500 HU clips to 301
    expect(numbers(getKey(await ds.get('case_00001'), 'data.input.img')).every((x) => Math.abs(x - pad) < 1e-5)).toBe(true);
    const s2 = getKey<Image>(await ds.get('case_00002'), 'data.input.img');
    expect(s2.data[(1 * 4 + 0) * 8 + 1]).toBeCloseTo((301 - 104) / 75.3, 5);
    // the ramp: HU = -200 + 40 i along KiTS's slice axis (top down); RAS puts z upward, resampling keeps
    // every second slice: z = 1, 2, 3 hold HU ≈ 0, -80, -160 → ≈ 0 and two clipped values
    const ramp = getKey<Image>(await ds.get('case_00003'), 'data.input.img');
    const at = (z: number): number => ramp.data[(z * 4 + 2) * 8 + 3] as number;
    // before resampling 2.5 → 5 mm the z axis is smoothed with σ = 0.5 voxel (kernel radius 2, edge repeated): at the
    // top slice HU 0 with neighbours 0, 0 (repeated) below and -40, -80 above → Σ w_q HU_q = -40 w1 - 80 w2
    const w = [0, 1, 2].map((q) => Math.exp(-(q * q) / (2 * 0.25)));
    const norm = (w[0] as number) + 2 * ((w[1] as number) + (w[2] as number));
    expect(at(1)).toBeCloseTo((-(40 * (w[1] as number) + 80 * (w[2] as number)) / norm - 104) / 75.3, 5);
    expect(at(2)).toBeCloseTo(pad, 5);
    expect(at(3)).toBeCloseTo(pad, 5);
  });

  it('dynamic pipeline: seeded augmentation, same seed → same sample, another seed → another', async () => {
    const k = knight({ root, ...SMALL });
    expect(k.dynamicPipeline.map((op) => op.name)).toEqual(['image.randAffine', 'image.randAffine', 'image.randFlip', 'image.randGaussianNoise']);
    expect(knight({ root, ...SMALL, augment: false }).dynamicPipeline).toEqual([]);
    const ds = dataset({ ids: k.ids, staticPipeline: k.staticPipeline, dynamicPipeline: k.dynamicPipeline });
    const pull = async (seed: number): Promise<number[][]> => {
      const out: number[][] = [];
      for await (const s of ds.stream({ seed, epoch: 0, shuffle: false, window: 2 })) out.push(numbers(getKey(s, 'data.input.img')));
      return out;
    };
    const a = await pull(1);
    expect(await pull(1)).toEqual(a);
    expect(await pull(2)).not.toEqual(a);
  });

  it('reads folds from a file (FuseMedML split shape) and refuses one that names an unknown case', () => {
    const ids = REPLICA_CASES.map((c) => c.id);
    const file = join(dir, 'splits.json');
    writeFileSync(
      file,
      JSON.stringify([
        { train: ids.slice(3), val: ids.slice(0, 3) },
        { train: ids.slice(0, 3), val: ids.slice(3) },
      ]),
    );
    const given = knight({ root, ...SMALL, foldFile: file });
    expect(given.folds).toEqual([ids.slice(0, 3), ids.slice(3)]);
    expect(given.foldSource).toBe('given');
    expect(given.foldPlan?.seed).toBeNull();
    writeFileSync(file, JSON.stringify([ids.slice(0, 3), [...ids.slice(3), 'case_00099']]));
    expect(() => knight({ root, ...SMALL, foldFile: file })).toThrow(/splits\.json: fold 1 lists sample 'case_00099', which is not in the data set/);
  });

  it('fills the LMDB cache on worker threads (its ops rebuilt there from their module) with the in-thread samples', async () => {
    const k = knight({ root, ...SMALL });
    const staticPipeline = pipeline(k.staticPipeline, { name: 'knight-static' });
    const cache = openSampleCache({ dir: join(dir, 'cache'), pipeline: staticPipeline, audit: false });
    try {
      const report = await cache.fill(k.ids, { threads: 2 });
      expect(report.computed).toBe(k.ids.length);
      const inThread = dataset({ ids: k.ids, staticPipeline });
      const cached = dataset({ ids: k.ids, staticPipeline, store: cache });
      for (const id of k.ids) {
        const [a, b] = [await inThread.get(id), await cached.get(id)];
        expect(numbers(getKey(b, 'data.input.img'))).toEqual(numbers(getKey(a, 'data.input.img')));
        expect(numbers(getKey(b, 'data.input.clinical.all'))).toEqual(numbers(getKey(a, 'data.input.clinical.all')));
        expect(getKey(b, 'data.gt.gt_global.task_2_label')).toBe(getKey(a, 'data.gt.gt_global.task_2_label'));
      }
    } finally {
      await cache.close();
    }
  });

  it("reads the challenge's test layout (features.json + images/): no labels, no folds", async () => {
    const test = join(dir, 'test-layout');
    mkdirSync(join(test, 'images'), { recursive: true });
    const cases = REPLICA_CASES.slice(0, 2);
    writeFileSync(join(test, 'features.json'), JSON.stringify(cases.map((c) => ({ ...replicaRecord(c), aua_risk_group: undefined }))));
    for (const c of cases) copyFileSync(join(root, c.id, 'imaging.nii.gz'), join(test, 'images', `${c.id}.nii.gz`));
    const k = knight({ root: test, layout: 'test', ...SMALL });
    expect(k.ids).toEqual(['case_00000', 'case_00001']);
    expect(k.labels).toEqual([]);
    expect(k.folds).toEqual([]);
    const s = await dataset({ ids: k.ids, staticPipeline: k.staticPipeline }).get('case_00001');
    expect(getKey(s, 'data.input.img_path')).toBe('images/case_00001.nii.gz');
    expect(getKey<Image>(s, 'data.input.img').shape).toEqual([4, 4, 8]);
    numbers(getKey(s, 'data.input.clinical.all')).forEach((v, i) => expect(v).toBeCloseTo(EXPECTED_CLINICAL['case_00001']?.[i] as number, 6));
    expect(() => getKey(s, 'data.gt.gt_global.task_1_label')).toThrow(/task_1_label/);
    rmSync(join(test, 'images'), { recursive: true });
    expect(() => knight({ root: test, layout: 'test' })).toThrow(`${join(test, 'images')}: missing folder: expected the KNIGHT test CTs (images/case_XXXXX.nii.gz) here`);
  });

  it('names the file, case and key for a missing or malformed input', async () => {
    expect(() => knight({ root: join(dir, 'nowhere') })).toThrow(InputError);
    expect(() => knight({ root, ...SMALL, size: [8, 4] as unknown as [number, number, number] })).toThrow(OptionsError);
    const bad = join(dir, 'bad');
    const cases = REPLICA_CASES.slice(0, 2);
    await writeKnightReplica(bad, cases);
    // the JSON missing
    rmSync(join(bad, 'knight.json'));
    expect(() => knight({ root: bad })).toThrow(`${join(bad, 'knight.json')}: missing file: expected the KNIGHT clinical data (knight.json) here`);
    // not JSON
    writeFileSync(join(bad, 'knight.json'), '[{"case_id": "case_00000",');
    expect(() => knight({ root: bad })).toThrow(new RegExp(`${join(bad, 'knight.json')}: cannot read the KNIGHT clinical data`));
    // an unknown category and a missing label
    const records = cases.map(replicaRecord);
    writeFileSync(join(bad, 'knight.json'), JSON.stringify([{ ...records[0], smoking_history: 'sometimes' }, records[1]]));
    expect(() => knight({ root: bad })).toThrow(
      `${join(bad, 'knight.json')}: case 'case_00000', key 'smoking_history': expected one of never_smoked, previous_smoker, current_smoker or null, got "sometimes"`,
    );
    writeFileSync(join(bad, 'knight.json'), JSON.stringify([records[0], { ...records[1], aua_risk_group: undefined }]));
    expect(() => knight({ root: bad })).toThrow(
      /case 'case_00001', key 'aua_risk_group': expected one of benign, low_risk, intermediate_risk, high_risk, very_high_risk, got nothing/,
    );
    writeFileSync(join(bad, 'knight.json'), JSON.stringify([{ ...records[0], body_mass_index: '29.5' }, records[1]]));
    expect(() => knight({ root: bad })).toThrow(/case 'case_00000', key 'body_mass_index': expected a number or null, got "29.5"/);
    // a case named in ids without an entry, and a missing CT
    writeFileSync(join(bad, 'knight.json'), JSON.stringify(records));
    expect(() => knight({ root: bad, ids: ['case_00000', 'case_00007'] })).toThrow(/case 'case_00007' has no entry/);
    rmSync(join(bad, 'case_00001', 'imaging.nii.gz'));
    expect(() => knight({ root: bad })).toThrow(`${join(bad, 'case_00001', 'imaging.nii.gz')}: missing file: expected the CT of case 'case_00001' here`);
    // a truncated CT fails when the sample is built, naming the op and the case
    mkdirSync(join(bad, 'case_00001'), { recursive: true });
    await writeReplicaCt(join(bad, 'case_00001', 'imaging.nii.gz'), REPLICA_CASES[1] as (typeof REPLICA_CASES)[number]);
    writeFileSync(join(bad, 'case_00001', 'imaging.nii.gz'), Buffer.from('\x1f\x8b\x08\x00garbage'));
    const k = knight({ root: bad, ...SMALL });
    const ds = dataset({ ids: k.ids, staticPipeline: k.staticPipeline });
    await expect(ds.get('case_00001')).rejects.toThrow(/image\.load[\s\S]*case_00001/);
  });
});
