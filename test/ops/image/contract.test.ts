/**
 * The op contract, checked for every image op in one table: inputs are never mutated, a missing
 * key or a value that is no image fails as an OpError naming the key and the sample, the spec
 * survives JSON (what workers receive) and rebuilds through the registry, and the kind is right.
 */
import { describe, expect, it } from 'vitest';
import { MissingKeyError, OpError, TypeMismatchError } from '../../../src/core/errors.js';
import { createOp } from '../../../src/ops/registry.js';
import { specOf, type Op, type OpSpec } from '../../../src/ops/op.js';
import * as image from '../../../src/ops/image/index.js';
import { imageFrom, run, sampleWith } from './image-helpers.js';

const k = { keys: ['img', 'seg'] } as const;
const ops: readonly Op<object>[] = [
  image.reorient({ ...k, orientation: 'LPS' }),
  image.resample({ ...k, spacing: 0.7, interpolation: ['linear', 'nearest'] }),
  image.cropOrPad({ ...k, size: [5, 4, 3] }),
  image.cropToMask({ ...k, maskKey: 'seg' }),
  image.extractPatches({ ...k, patchSize: 4 }),
  image.extractSlices(k),
  image.clipIntensity({ keys: ['img'], min: 0, max: 5 }),
  image.windowIntensity({ keys: ['img'], level: 3, width: 4 }),
  image.zScoreIntensity({ keys: ['img'], maskKey: 'seg' }),
  image.minMaxIntensity({ keys: ['img'] }),
  image.normalizeIntensityPerMask({ keys: ['img'], maskKey: 'seg' }),
  image.randFlip({ ...k, prob: 1 }),
  image.randRotate90({ ...k, prob: 1 }),
  image.randAffine({ ...k, prob: 1, rotateRange: 0.3, interpolation: ['linear', 'nearest'] }),
  image.randElastic({ ...k, prob: 1, controlSpacing: 3, interpolation: ['linear', 'nearest'] }),
  image.randGaussianNoise({ keys: ['img'], prob: 1 }),
  image.randGaussianBlur({ keys: ['img'], prob: 1 }),
  image.randGamma({ keys: ['img'], prob: 1 }),
  image.randScaleIntensity({ keys: ['img'], prob: 1, factors: 0.2 }),
  image.randShiftIntensity({ keys: ['img'], prob: 1, offsets: 0.2 }),
  image.randCrop({ ...k, size: 3 }),
];

const input = () =>
  sampleWith('c1', {
    img: imageFrom('int16', [7, 6, 5], (x, y, z) => x + 2 * y - z, { spacing: [1, 1.5, 2] }),
    seg: imageFrom('uint8', [7, 6, 5], (x, y) => (x > 1 && x < 5 && y > 1 ? 1 + (x % 2) : 0), { spacing: [1, 1.5, 2] }),
  });

describe('image op contract', () => {
  for (const op of ops) {
    describe(op.name, () => {
      it('leaves its input untouched', async () => {
        const before = input();
        const copy = structuredClone(before);
        const out = await run(op, before);
        expect(out.length).toBeGreaterThan(0);
        expect(before).toEqual(copy);
      });

      it('fails with an OpError naming the key and sample for a missing key or a non-image', async () => {
        const missing = await run(op, sampleWith('c2', { other: 1 })).catch((e: unknown) => e);
        expect(missing).toBeInstanceOf(OpError);
        expect((missing as OpError).sampleId).toBe('c2');
        expect((missing as OpError).cause).toBeInstanceOf(MissingKeyError);
        const wrong = await run(op, { ...input(), img: [1, 2, 3] }).catch((e: unknown) => e);
        expect(wrong).toBeInstanceOf(OpError);
        expect((wrong as OpError).cause).toBeInstanceOf(TypeMismatchError);
        expect((wrong as OpError).message).toMatch(/'img'/);
      });

      it('rebuilds from its JSON spec with the same kind', () => {
        const spec = JSON.parse(JSON.stringify(specOf(op))) as OpSpec;
        const rebuilt = createOp(spec);
        expect(rebuilt.options).toEqual(op.options);
        expect(rebuilt.kind).toBe(op.name.startsWith('image.rand') ? 'random' : 'static');
        expect(op.name.startsWith('image.')).toBe(true);
      });
    });
  }
});
