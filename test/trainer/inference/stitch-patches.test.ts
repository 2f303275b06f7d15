import { describe, expect, it } from 'vitest';
import { TypeMismatchError } from '../../../src/core/errors.js';
import { createImage, type Image } from '../../../src/core/image.js';
import { createSample, getKey, setKey, type Sample } from '../../../src/core/sample.js';
import { extractPatches } from '../../../src/ops/image/extract-patches.js';
import { pipeline, runPipeline } from '../../../src/ops/pipeline.js';
import { stitchPatches } from '../../../src/trainer/inference/stitch-patches.js';

function volume(size: number[], components = 1): Image<'int16'> {
  const n = size.reduce((a, b) => a * b, 1) * components;
  const direction = size.length === 3 ? [0, -1, 0, 1, 0, 0, 0, 0, 1] : [0, -1, 1, 0];
  return createImage(
    'int16',
    size,
    Int16Array.from({ length: n }, (_, i) => ((i * 7919) % 2003) - 1000),
    { spacing: size.map((_, a) => 0.5 + a), origin: size.map((_, a) => 3 * a - 20), direction, components },
  );
}

async function patchesOf(img: Image, patchSize: number[], stride?: number[]): Promise<{ patches: Sample[]; opId: string }> {
  const p = pipeline([extractPatches({ keys: ['img'], patchSize, ...(stride === undefined ? {} : { stride }) })], { name: 'static' });
  const patches = await runPipeline(p, setKey(createSample('vol'), 'img', img), { seed: 0, epoch: 0 });
  return { patches, opId: p.opIds[0] as string };
}

describe('stitchPatches', () => {
  it('overlapping patches of a 3D volume (sizes not multiples of the stride) stitch back to the volume exactly, grid included', async () => {
    const img = volume([23, 17, 11]);
    const { patches, opId } = await patchesOf(img, [8, 6, 5], [5, 4, 3]);
    expect(patches.length).toBeGreaterThan(40);
    // any order
    const out = stitchPatches([...patches].reverse(), { key: 'img', opId });
    expect(out.shape).toEqual(img.shape);
    expect([...out.data]).toEqual([...img.data]);
    expect(out.spacing).toEqual(img.spacing);
    expect(out.direction).toEqual(img.direction);
    out.origin.forEach((v, a) => expect(v).toBeCloseTo(img.origin[a] as number, 12));
  });
  it('2D, multi-component, and a volume smaller than the patch (the padding is dropped)', async () => {
    const img = volume([13, 9], 3);
    const a = await patchesOf(img, [6, 4], [3, 2]);
    expect([...stitchPatches(a.patches, { key: 'img', opId: a.opId }).data]).toEqual([...img.data]);
    const small = volume([3, 4, 2]);
    const b = await patchesOf(small, [8, 8, 8]);
    const out = stitchPatches(b.patches, { key: 'img', opId: b.opId });
    expect(out.shape).toEqual(small.shape);
    expect([...out.data]).toEqual([...small.data]);
  });
  it('averages where patches disagree (hand case: two 1-D halves overlapping by 2 voxels)', async () => {
    const img = createImage('float32', [6, 1], new Float32Array(6));
    const { patches, opId } = await patchesOf(img, [4, 1], [2, 1]);
    expect(patches.length).toBe(2);
    const preds = patches.map((p, i) => setKey(p, 'pred', { ...getKey<Image>(p, 'img'), data: new Float32Array(4).fill(i === 0 ? 1 : 3) }));
    expect([...stitchPatches(preds, { key: 'pred', opId }).data]).toEqual([1, 1, 2, 2, 3, 3]);
  });
  it('names missing and repeated patches, mixed sources, and a sample without the record', async () => {
    const { patches, opId } = await patchesOf(volume([12, 12, 4]), [4, 4, 4]);
    expect(() => stitchPatches(patches.slice(1, 5), { key: 'img', opId })).toThrow(/5 of the 9 patches of 'vol' are missing \(indices 0, 5, 6, 7, 8\)/);
    expect(() => stitchPatches([...patches, patches[0] as Sample], { key: 'img', opId })).toThrow(/patch 0 of 'vol' is given twice/);
    const other = (
      await runPipeline(pipeline([extractPatches({ keys: ['img'], patchSize: [4, 4, 4] })], { name: 'static' }), setKey(createSample('other'), 'img', volume([12, 12, 4])), {
        seed: 0,
        epoch: 0,
      })
    )[0] as Sample;
    expect(() => stitchPatches([...patches.slice(1), other], { key: 'img', opId })).toThrow(/comes from 'other'/);
    expect(() => stitchPatches(patches, { key: 'img', opId: 'nope' })).toThrow(TypeMismatchError);
    expect(() => stitchPatches([], { key: 'img', opId })).toThrow(/no patch samples/);
  });
});
