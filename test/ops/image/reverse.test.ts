/**
 * Reversing a whole spatial pipeline (`reversePipeline`): a prediction made on the processed grid
 * maps back onto the original geometry, following what each op recorded under its id.
 */
import { describe, expect, it } from 'vitest';
import { getKey, setKey } from '../../../src/core/sample.js';
import type { Image } from '../../../src/core/image.js';
import { pipeline, reversePipeline, runPipeline } from '../../../src/ops/pipeline.js';
import { cropOrPad, randCrop, randFlip, randRotate90, reorient, resample } from '../../../src/ops/image/index.js';
import { readImageLocal } from '../../../src/ops/image/io/read-image-local.js';
import { fixture, sampleWith } from './image-helpers.js';

describe('reverse through an image pipeline', () => {
  it('real file: KmeansTest labels to RAS (spacing then 2, 3, 2), 1 mm, crop/pad, flip, rotate, random crop, and back', async () => {
    const t1 = await readImageLocal(fixture('volumes/KmeansTest_T1UCharRaw.nii.gz'));
    const seg = await readImageLocal(fixture('volumes/KmeansTest_T1KmeansPrelimSegmentation.nii.gz'));
    const p = pipeline(
      [
        reorient({ keys: ['t1', 'seg'], orientation: 'RAS' }),
        resample({ keys: ['t1', 'seg'], spacing: [1, 3, 1], interpolation: ['linear', 'nearest'] }),
        cropOrPad({ keys: ['t1', 'seg'], size: [200, 60, 270] }),
        randFlip({ keys: ['t1', 'seg'], prob: 1, axes: [0] }),
        randRotate90({ keys: ['t1', 'seg'], prob: 1, axes: [0, 2] }),
        randCrop({ keys: ['t1', 'seg'], size: [160, 48, 160] }),
      ],
      { name: 'prep' },
    );
    const [out] = await runPipeline(p, sampleWith('kmeans', { t1, seg }), { seed: 3, epoch: 0 });
    // the "prediction" is the processed label map
    const withPred = setKey(out!, 'pred', getKey<Image>(out!, 'seg'));
    const back = getKey<Image>(reversePipeline(p, withPred, { keyToReverse: 'pred', keyToFollow: 'seg' }), 'pred');
    expect(back.shape).toEqual(seg.shape);
    expect(back.spacing).toEqual(seg.spacing);
    back.origin.forEach((o, i) => expect(o).toBeCloseTo(seg.origin[i]!, 6));
    back.direction.forEach((d, i) => expect(d).toBeCloseTo(seg.direction[i]!, 9));
    // every voxel the crops kept comes back with its label; the rest is 0
    let kept = 0,
      wrong = 0;
    back.data.forEach((v, i) => {
      if (v !== seg.data[i] && v !== 0) wrong++;
      else if (v !== 0) kept++;
    });
    expect(wrong).toBe(0);
    expect(kept).toBeGreaterThan(10_000);
  });
});
