import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSampleCache } from '../../src/cache/open-cache.js';
import { InputError, OptionsError } from '../../src/core/errors.js';
import type { Image } from '../../src/core/image.js';
import { getKey } from '../../src/core/sample.js';
import type { Tensor } from '../../src/core/tensor.js';
import { isic, ISIC_CLASSES } from '../../src/datasets/index.js';
import { closeIoPool } from '../../src/ops/image/io/io-pool.js';
import { pipeline } from '../../src/ops/pipeline.js';
import { dataset } from '../../src/streams/dataset.js';
import { groundTruthCsv, ISIC_REPLICA_IMAGES, metadataCsv, writeIsicReplica } from '../../examples/isic-replica.js';
import { tempFolder } from '../temp-folder.js';

const { dir } = tempFolder('fuseflow-isic-test-');
const root = join(dir, 'isic');
const SIZE = [16, 12] as const;

beforeAll(async () => {
  await writeIsicReplica(root);
}, 60_000);
afterAll(async () => {
  await closeIoPool();
});

const oneHot = (i: number, n: number): number[] => Array.from({ length: n }, (_, k) => (k === i ? 1 : 0));
/** Hand-derived encodings: [site index (8 = N/A), sex index (2 = N/A), age bin (6 = missing)]. */
const EXPECTED: Record<string, [number, number, number]> = {
  ISIC_0000000: [0, 1, 2], // anterior torso, female, 55 → 40–59
  ISIC_0000004: [8, 2, 6], // all three missing
  ISIC_0000005: [5, 0, 6], // head/neck, male, age 0 counts as missing (FuseMedML: 0 < age < 120)
  ISIC_0000006: [6, 1, 4], // palms/soles, female, 85 → 80–99
  ISIC_0000007: [7, 0, 5], // oral/genital, male, 100 → 100–119
  ISIC_0000008: [4, 1, 0], // lateral torso, female, 15 → 0–19
};

const values = (t: unknown): number[] => Array.from((t as Tensor).data as Float32Array);

describe('isic builder on a replica in the published layout', () => {
  it('lists the images, 9-class labels, lesions, and folds grouped by lesion and balanced by label', () => {
    const b = isic({ root, size: SIZE, folds: 3, seed: 3 });
    expect(b.ids).toEqual(ISIC_REPLICA_IMAGES.map((m) => m.id));
    expect(b.labels).toEqual([1, 1, 0, 0, 2, 3, 4, 5, 6, 7, 0, 1]);
    expect(b.classNames).toEqual(['MEL', 'NV', 'BCC', 'AK', 'BKL', 'DF', 'VASC', 'SCC', 'UNK']);
    expect(b.labelKey).toBe('data.label');
    expect(b.lesions.slice(0, 5)).toEqual(['ISIC_0000000', 'ISIC_0000001', 'HAM_0000118', 'HAM_0000118', 'BCN_0000019']); // empty lesion_id → the image
    expect(b.folds.flat().sort()).toEqual([...b.ids]);
    const foldOf = (id: string): number => b.folds.findIndex((f) => f.includes(id));
    expect(foldOf('ISIC_0000002')).toBe(foldOf('ISIC_0000003'));
    // MEL (3 images, two of one lesion) and NV (3 images) spread over the 3 folds as whole lesions allow
    for (const label of [0, 1]) {
      const perFold = b.folds.map((f) => f.filter((id) => b.labels[b.ids.indexOf(id)] === label).length);
      expect(perFold.sort()).toEqual(label === 0 ? [0, 1, 2] : [1, 1, 1]);
    }
    expect(isic({ root, size: SIZE, folds: 3, seed: 3 }).folds).toEqual(b.folds);
  });

  it('balances on label and site or sex when asked (recorded per image, N/A when missing); a given split that divides a lesion is refused', () => {
    const b = isic({ root, size: SIZE, folds: 3, seed: 3, balance: ['label', 'site', 'sex'] });
    expect(b.foldPlan?.balanceKeys).toEqual(['label', 'site', 'sex']);
    expect(b.foldPlan?.samples.map((s) => s.balance['site'])).toEqual(ISIC_REPLICA_IMAGES.map((m) => (m.site === '' ? 'N/A' : m.site)));
    expect(b.foldPlan?.samples.map((s) => s.balance['sex'])).toEqual(ISIC_REPLICA_IMAGES.map((m) => (m.sex === '' ? 'N/A' : m.sex)));
    expect(b.foldPlan?.samples.map((s) => s.group)).toEqual([...b.lesions]);
    const ids = ISIC_REPLICA_IMAGES.map((m) => m.id);
    const file = join(dir, 'isic-split.json');
    writeFileSync(file, JSON.stringify([ids.slice(0, 3), ids.slice(3)])); // ISIC_0000002 and _0000003 share lesion HAM_0000118
    expect(() => isic({ root, size: SIZE, foldFile: file })).toThrow(
      /isic-split\.json: group 'HAM_0000118' is split over two folds: 'ISIC_0000002' in fold 0, 'ISIC_0000003' in fold 1/,
    );
  });

  it('static pipeline: RGB image resized and scaled to [0, 1], label, metadata encodings with missing values', async () => {
    const b = isic({ root, size: SIZE, augment: false });
    const ds = dataset({ ids: b.ids, staticPipeline: b.staticPipeline });
    for (const [id, [site, sex, age]] of Object.entries(EXPECTED)) {
      const s = await ds.get(id);
      expect(values(getKey(s, 'data.input.clinical.encoding.site')), id).toEqual(oneHot(site, 9));
      expect(values(getKey(s, 'data.input.clinical.encoding.sex')), id).toEqual(oneHot(sex, 3));
      expect(values(getKey(s, 'data.input.clinical.encoding.age')), id).toEqual(oneHot(age, 7));
      expect(values(getKey(s, 'data.input.clinical.all')), id).toEqual([...oneHot(site, 9), ...oneHot(sex, 3), ...oneHot(age, 7)]);
    }
    const s0 = await ds.get('ISIC_0000000');
    expect(getKey(s0, 'data.label')).toBe(1);
    expect(getKey(s0, 'data.input.lesion_id')).toBe('ISIC_0000000');
    expect(getKey(s0, 'data.input.img_path')).toBe('ISIC_0000000.jpg');
    const img = getKey<Image>(s0, 'data.input.img');
    expect(img.shape).toEqual([12, 16, 3]); // [height, width, RGB]
    expect(img.dtype).toBe('float32');
    const px = (x: number, y: number): number[] => [0, 1, 2].map((c) => img.data[(y * 16 + x) * 3 + c] as number);
    // left half red (200, 40, 40), right half blue (40, 40, 200); JPEG keeps flat regions to a few levels
    px(1, 6).forEach((v, c) => expect(Math.abs(v - [200, 40, 40][c]! / 255)).toBeLessThan(0.05));
    px(14, 6).forEach((v, c) => expect(Math.abs(v - [40, 40, 200][c]! / 255)).toBeLessThan(0.05));
    const grey = values(getKey(await ds.get('ISIC_0000001'), 'data.input.img'));
    expect(grey).toHaveLength(12 * 16 * 3);
    expect(Math.max(...grey.map((v) => Math.abs(v - 120 / 255)))).toBeLessThan(0.02);
  });

  it('dynamic pipeline: seeded augmentation, same seed → same images, another seed → others', async () => {
    const b = isic({ root, size: SIZE, ids: ['ISIC_0000000', 'ISIC_0000004'] });
    expect(b.dynamicPipeline).toHaveLength(10);
    const ds = dataset({ ids: b.ids, staticPipeline: b.staticPipeline, dynamicPipeline: b.dynamicPipeline });
    const pull = async (seed: number): Promise<number[][]> => {
      const out: number[][] = [];
      for await (const s of ds.stream({ seed, shuffle: false, window: 2 })) {
        out.push(values(getKey(s, 'data.input.img')));
        const parts = ['site', 'sex', 'age'].flatMap((k) => values(getKey(s, `data.input.clinical.encoding.${k}`)));
        expect(values(getKey(s, 'data.input.clinical.all'))).toEqual(parts); // re-concatenated after the metadata augmentation
      }
      return out;
    };
    const a = await pull(5);
    expect(await pull(5)).toEqual(a);
    expect(await pull(6)).not.toEqual(a);
  });

  it('fills the LMDB cache on worker threads (its ops rebuilt there from their module) with the in-thread samples', async () => {
    const b = isic({ root, size: SIZE, ids: ISIC_REPLICA_IMAGES.slice(0, 4).map((m) => m.id) });
    const staticPipeline = pipeline(b.staticPipeline, { name: 'isic-static' });
    const cache = openSampleCache({ dir: join(dir, 'cache'), pipeline: staticPipeline, audit: false });
    try {
      expect((await cache.fill(b.ids, { threads: 2 })).computed).toBe(4);
      const inThread = dataset({ ids: b.ids, staticPipeline });
      const cached = dataset({ ids: b.ids, staticPipeline, store: cache });
      for (const id of b.ids) {
        const [x, y] = [await inThread.get(id), await cached.get(id)];
        for (const key of ['data.input.img', 'data.input.clinical.all']) expect(values(getKey(y, key))).toEqual(values(getKey(x, key)));
        expect(getKey(y, 'data.label')).toBe(getKey(x, 'data.label'));
      }
    } finally {
      await cache.close();
    }
  });

  it('a row whose only 1 is UNK is class 8; the layout is found under ISIC2019/ as FuseMedML downloads it', async () => {
    const nested = join(dir, 'fuse', 'ISIC2019');
    const images = [
      { ...(ISIC_REPLICA_IMAGES[0] as (typeof ISIC_REPLICA_IMAGES)[number]), id: 'ISIC_0000099', label: 8 },
      ISIC_REPLICA_IMAGES[1] as (typeof ISIC_REPLICA_IMAGES)[number],
    ];
    await writeIsicReplica(nested, images);
    const b = isic({ root: join(dir, 'fuse'), size: SIZE });
    expect(b.dataDir).toBe(nested);
    expect(b.labels).toEqual([1, 8]);
    expect(ISIC_CLASSES[8]).toBe('UNK');
  });

  it('names the file, line, image and column for missing or malformed inputs', async () => {
    const bad = join(dir, 'bad');
    const images = ISIC_REPLICA_IMAGES.slice(0, 3);
    await writeIsicReplica(bad, images);
    const gt = join(bad, 'ISIC_2019_Training_GroundTruth.csv');
    const meta = join(bad, 'ISIC_2019_Training_Metadata.csv');
    expect(() => isic({ root: join(dir, 'nowhere') })).toThrow(InputError);
    expect(() => isic({ root: bad, size: [16] as unknown as [number, number] })).toThrow(OptionsError);
    rmSync(gt);
    expect(() => isic({ root: bad })).toThrow(`${gt}: missing file: expected the ISIC 2019 ground truth (ISIC_2019_Training_GroundTruth.csv) here`);
    writeFileSync(gt, groundTruthCsv(images).replace(',UNK', ''));
    expect(() => isic({ root: bad })).toThrow(`${gt}:line 1: header lacks column(s) UNK`);
    writeFileSync(gt, groundTruthCsv(images).replace('ISIC_0000001,0.0,1.0', 'ISIC_0000001,0.0,yes'));
    expect(() => isic({ root: bad })).toThrow(`${gt}:line 3: image 'ISIC_0000001', column 'NV': expected 0 or 1, got 'yes'`);
    writeFileSync(gt, groundTruthCsv(images).replace('ISIC_0000002,1.0,0.0', 'ISIC_0000002,1.0,1.0'));
    expect(() => isic({ root: bad })).toThrow(`${gt}:line 4: image 'ISIC_0000002': expected exactly one class column set to 1, found 2`);
    writeFileSync(gt, groundTruthCsv(images));
    writeFileSync(meta, metadataCsv(images).replace('upper extremity', 'elbow'));
    expect(() => isic({ root: bad })).toThrow(
      /ISIC_2019_Training_Metadata\.csv:line 4: image 'ISIC_0000002', column 'anatom_site_general': expected one of .* or nothing, got 'elbow'/,
    );
    writeFileSync(meta, metadataCsv(images).replace('55.0', 'fifty'));
    expect(() => isic({ root: bad })).toThrow(`${meta}:line 2: image 'ISIC_0000000', column 'age_approx': expected a number or nothing, got 'fifty'`);
    writeFileSync(meta, metadataCsv(images.slice(1)));
    expect(() => isic({ root: bad })).toThrow(`${meta}: image 'ISIC_0000000' has no row`);
    writeFileSync(meta, metadataCsv(images));
    rmSync(join(bad, 'ISIC_2019_Training_Input', 'ISIC_0000001.jpg'));
    expect(() => isic({ root: bad })).toThrow(
      `${join(bad, 'ISIC_2019_Training_Input', 'ISIC_0000001.jpg')}: missing file: expected the image of 'ISIC_0000001' (listed in ISIC_2019_Training_GroundTruth.csv line 3) here`,
    );
    // a corrupt JPEG fails when the sample is built, naming the op and the image
    mkdirSync(join(bad, 'ISIC_2019_Training_Input'), { recursive: true });
    writeFileSync(join(bad, 'ISIC_2019_Training_Input', 'ISIC_0000001.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
    const b = isic({ root: bad, size: SIZE });
    await expect(dataset({ ids: b.ids, staticPipeline: b.staticPipeline }).get('ISIC_0000001')).rejects.toThrow(/image\.load[\s\S]*ISIC_0000001/);
  });
});
