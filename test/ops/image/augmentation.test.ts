/**
 * A random 3D augmentation pipeline as a whole: the same seed gives the same output, a sample's
 * output depends only on (seed, epoch, id, op index) and not on the order samples run in, and
 * the pipeline rebuilt from its JSON spec (what a worker thread receives) gives the same output.
 */
import { describe, expect, it } from 'vitest';
import { getKey, type Sample } from '../../../src/core/sample.js';
import type { Image } from '../../../src/core/image.js';
import { pipeline, pipelineFromSpec, pipelineSpec, runPipeline, type Pipeline, type PipelineSpec } from '../../../src/ops/pipeline.js';
import {
  randAffine,
  randCrop,
  randElastic,
  randFlip,
  randGamma,
  randGaussianBlur,
  randGaussianNoise,
  randRotate90,
  randScaleIntensity,
  randShiftIntensity,
  resample,
  zScoreIntensity,
} from '../../../src/ops/image/index.js';
import { imageFrom, sampleWith } from './image-helpers.js';

const ops = [
  resample({ keys: ['img', 'seg'], spacing: 1.5, interpolation: ['linear', 'nearest'] }),
  zScoreIntensity({ keys: ['img'] }),
  randFlip({ keys: ['img', 'seg'], prob: 0.5, axes: [0] }),
  randRotate90({ keys: ['img', 'seg'], prob: 0.5 }),
  randAffine({ keys: ['img', 'seg'], prob: 0.8, rotateRange: [0.2, 0.1, 0.3], scaleRange: 0.1, translateRange: 1, interpolation: ['linear', 'nearest'] }),
  randElastic({ keys: ['img', 'seg'], prob: 0.5, controlSpacing: 4, magnitudeRange: [0.5, 1], interpolation: ['linear', 'nearest'] }),
  randGaussianNoise({ keys: ['img'], prob: 0.5, std: 0.1 }),
  randGaussianBlur({ keys: ['img'], prob: 0.5 }),
  randGamma({ keys: ['img'], prob: 0.5, gammaRange: [0.8, 1.2] }),
  randScaleIntensity({ keys: ['img'], prob: 0.5, factors: 0.1 }),
  randShiftIntensity({ keys: ['img'], prob: 0.5, offsets: 0.1 }),
  randCrop({ keys: ['img', 'seg'], size: [8, 8, 6] }),
];

function samples(): Sample[] {
  return ['a', 'b', 'c', 'd'].map((id, i) =>
    sampleWith(id, {
      img: imageFrom('int16', [14, 12, 10], (x, y, z) => ((x * 7 + y * 13 + z * 29 + i * 5) % 50) - 10, { spacing: [1, 1.2, 1.4] }),
      seg: imageFrom('uint8', [14, 12, 10], (x, y, z) => ((x >> 2) + (y >> 2) + z + i) % 3, { spacing: [1, 1.2, 1.4] }),
    }),
  );
}

async function runAll(p: Pipeline, input: readonly Sample[], seed: number, epoch = 0): Promise<Map<string, Sample>> {
  const out = new Map<string, Sample>();
  for (const s of input) {
    const [r] = await runPipeline(p, s, { seed, epoch });
    out.set(getKey<string>(r!, 'data.sampleId'), r!);
  }
  return out;
}

const dataOf = (s: Sample, key: string): number[] => Array.from(getKey<Image>(s, key).data as ArrayLike<number>);

describe('random image augmentation', () => {
  it('is identical for the same seed, in any sample order, and after a JSON spec round trip', async () => {
    const p = pipeline(ops, { name: 'aug' });
    const forward = await runAll(p, samples(), 42);
    const backward = await runAll(p, [...samples()].reverse(), 42);
    const spec = JSON.parse(JSON.stringify(pipelineSpec(p))) as PipelineSpec;
    const rebuilt = await runAll(pipelineFromSpec(spec), samples(), 42);
    for (const id of ['a', 'b', 'c', 'd']) {
      for (const key of ['img', 'seg']) {
        expect(dataOf(backward.get(id)!, key)).toEqual(dataOf(forward.get(id)!, key));
        expect(dataOf(rebuilt.get(id)!, key)).toEqual(dataOf(forward.get(id)!, key));
      }
      expect(getKey<Image>(forward.get(id)!, 'img').shape).toEqual([6, 8, 8]);
      expect(new Set(dataOf(forward.get(id)!, 'seg')).size).toBeLessThanOrEqual(3);
      for (const v of dataOf(forward.get(id)!, 'seg')) expect([0, 1, 2]).toContain(v);
    }
  });

  it('changes with the seed and the epoch', async () => {
    const p = pipeline(ops, { name: 'aug' });
    const base = await runAll(p, samples(), 42);
    const otherSeed = await runAll(p, samples(), 43);
    const otherEpoch = await runAll(p, samples(), 42, 1);
    const differs = (m: Map<string, Sample>): boolean => ['a', 'b', 'c', 'd'].some((id) => dataOf(m.get(id)!, 'img').join() !== dataOf(base.get(id)!, 'img').join());
    expect(differs(otherSeed)).toBe(true);
    expect(differs(otherEpoch)).toBe(true);
  });
});
