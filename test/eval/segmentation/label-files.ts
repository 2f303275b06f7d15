/**
 * Test helper: writes cases of label files (predictions as MetaImage, ground truth as NIfTI) built
 * from the formula masks of test/fixtures/eval/make-segmentation-refs.py, whose scipy references
 * (Dice, IoU, HD95, ASSD) are in segmentation-refs.json.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createImage } from '../../../src/core/image.js';
import { closeIoPool } from '../../../src/ops/image/io/io-pool.js';
import { writeImage } from '../../../src/ops/image/io/write-image.js';

export const segRefs = JSON.parse(readFileSync(new URL('../../fixtures/eval/segmentation-refs.json', import.meta.url), 'utf8')) as {
  '3d': { hd95: number; dice: number; iou: number; assd: number };
};

/** Size (x, y, z) and spacing (x, y, z) of the reference masks. */
export const SIZE = [28, 24, 20];
export const SPACING = [0.8, 1.0, 2.5];

/** The reference masks a (the "prediction" of the scipy reference) and b, label 1. */
export function refMasks(): [Uint8Array, Uint8Array] {
  const a = new Uint8Array(20 * 24 * 28);
  const b = new Uint8Array(20 * 24 * 28);
  let i = 0;
  for (let z = 0; z < 20; z++)
    for (let y = 0; y < 24; y++)
      for (let x = 0; x < 28; x++, i++) {
        a[i] = 4 * (z - 10) ** 2 + (y - 12) ** 2 + (x - 13) ** 2 <= 64 ? 1 : 0;
        b[i] = 4 * (z - 11) ** 2 + (y - 10) ** 2 + (x - 15) ** 2 <= 49 || (z >= 2 && z <= 3 && y >= 20 && x >= 24) ? 1 : 0;
      }
  return [a, b];
}

/** A label image on the reference grid (origin and direction as given). */
export function labelImage(data: Uint8Array | Float32Array, geometry: { origin?: number[]; spacing?: number[] } = {}) {
  return data instanceof Float32Array
    ? createImage('float32', SIZE, data, { spacing: geometry.spacing ?? SPACING, origin: geometry.origin ?? [10, -20, 5] })
    : createImage('uint8', SIZE, data, { spacing: geometry.spacing ?? SPACING, origin: geometry.origin ?? [10, -20, 5] });
}

/** Where the cases lie: a temporary root holding the prediction and the ground-truth folders. */
export interface CaseFolders {
  root: string;
  pred: string;
  truth: string;
}

/**
 * Three cases: c1 pred a / truth b; c2 pred b / truth b plus a label-2 block the prediction lacks;
 * c3 pred b / truth a. Returns the folders.
 */
export async function writeThreeCases(): Promise<CaseFolders> {
  const root = mkdtempSync(join(tmpdir(), 'fuseflow-seg-files-'));
  const pred = join(root, 'pred');
  const truth = join(root, 'truth');
  mkdirSync(pred);
  mkdirSync(truth);
  const [a, b] = refMasks();
  const b2 = Uint8Array.from(b);
  for (let i = 0; i < 28 * 24 * 3; i++) if (b2[i] === 0) b2[i] = 2; // z = 0..2 background → label 2
  await writeImage(labelImage(a), join(pred, 'c1.mha'));
  await writeImage(labelImage(b), join(truth, 'c1.nii.gz'));
  await writeImage(labelImage(b), join(pred, 'c2.mha'));
  await writeImage(labelImage(b2), join(truth, 'c2.nii.gz'));
  await writeImage(labelImage(b), join(pred, 'c3.mha'));
  await writeImage(labelImage(a), join(truth, 'c3.nii.gz'));
  return { root, pred, truth };
}

/**
 * For a test file: the three cases of {@link writeThreeCases}, written before its tests (the
 * returned folders are filled in then) and removed after them, closing the image I/O pool.
 */
export function threeCasesForTests(): Readonly<CaseFolders> {
  const dirs: CaseFolders = { root: '', pred: '', truth: '' };
  beforeAll(async () => {
    Object.assign(dirs, await writeThreeCases());
  });
  afterAll(async () => {
    if (dirs.root !== '') rmSync(dirs.root, { recursive: true, force: true });
    await closeIoPool();
  });
  return dirs;
}
