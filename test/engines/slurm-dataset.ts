/**
 * Dataset module of the Slurm cache-fill test (what `fuseflow cache fill MODULE` imports): 36
 * ids of small seeded 3D images through a static pipeline of a user op and two built-in ops.
 */
import { createImage } from '../../src/core/image.js';
import { Rng } from '../../src/core/rng.js';
import { sampleIdOf, setKey } from '../../src/core/sample.js';
import { clipIntensity, zScoreIntensity } from '../../src/ops/image/index.js';
import { defineOp } from '../../src/ops/registry.js';

/** `vol-00` … `vol-35`. */
export const ids = Array.from({ length: 36 }, (_, i) => `vol-${String(i).padStart(2, '0')}`);

/** A 6×5×4 float32 image seeded by the id, and `data.label` = the number mod 2. */
export const makeVolume = defineOp<{ readonly key: string }>({
  name: 'slurmTest.makeVolume',
  version: 1,
  kind: 'static',
  module: import.meta.url,
  apply: (s, _ctx, o) => {
    const id = sampleIdOf(s);
    const rng = Rng.fromParts(['slurm-test', id]);
    const data = Float32Array.from({ length: 6 * 5 * 4 }, () => 2 * rng.normal());
    return setKey(setKey(s, o.key, createImage('float32', [6, 5, 4], data)), 'data.label', Number(id.slice(4)) % 2);
  },
});

export const staticPipeline = [makeVolume({ key: 'data.img' }), clipIntensity({ keys: ['data.img'], min: -3, max: 3 }), zScoreIntensity({ keys: ['data.img'] })];
