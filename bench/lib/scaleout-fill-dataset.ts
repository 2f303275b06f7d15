/**
 * Dataset module of the sharded-fill benchmark (bench/lib/scaleout-fill.ts): 200 ids of seeded
 * 64×64×32 float32 volumes through a real static pipeline (make the volume, clip, z-score).
 */
import { createImage } from '../../src/core/image.js';
import { Rng } from '../../src/core/rng.js';
import { sampleIdOf, setKey } from '../../src/core/sample.js';
import { clipIntensity, zScoreIntensity } from '../../src/ops/image/index.js';
import { defineOp } from '../../src/ops/registry.js';

/** Ids in the benchmark. */
export const ids = Array.from({ length: 200 }, (_, i) => `vol-${String(i).padStart(3, '0')}`);

const makeVolume = defineOp<{ readonly key: string }>({
  name: 'benchScaleout.makeVolume',
  version: 1,
  kind: 'static',
  module: import.meta.url,
  apply: (s, _ctx, o) => {
    const rng = Rng.fromParts(['scaleout', sampleIdOf(s)]);
    const data = new Float32Array(64 * 64 * 32);
    for (let i = 0; i < data.length; i++) data[i] = 100 * rng.normal();
    return setKey(s, o.key, createImage('float32', [64, 64, 32], data));
  },
});

export const staticPipeline = [makeVolume({ key: 'data.img' }), clipIntensity({ keys: ['data.img'], min: -250, max: 250 }), zScoreIntensity({ keys: ['data.img'] })];
