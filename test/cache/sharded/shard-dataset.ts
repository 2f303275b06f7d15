/**
 * Dataset module of the sharded-cache tests (the contract of `fuseflow cache fill MODULE`): 240
 * ids of small seeded 3D images through a real static pipeline — a user op that makes the image
 * and a label (and drops one id, splits another in two), the built-in clipIntensity and
 * zScoreIntensity, and a user op that spends `SPIN_MS` of CPU per sample so a fill can be killed
 * mid-shard.
 */
import { Rng } from '../../../src/core/rng.js';
import { createImage } from '../../../src/core/image.js';
import { sampleIdOf, setKey, type Sample } from '../../../src/core/sample.js';
import { clipIntensity, zScoreIntensity } from '../../../src/ops/image/index.js';
import { defineOp } from '../../../src/ops/registry.js';

/** CPU per sample in the spin op. */
export const SPIN_MS = 10;

/** `case-000` … `case-239`. */
export const ids = Array.from({ length: 240 }, (_, i) => `case-${String(i).padStart(3, '0')}`);

/** Makes an 8×6×4 float32 image (seeded by the id), `data.label` = number mod 3; drops case-007, splits case-013. */
export const makeCase = defineOp<{ readonly key: string }>({
  name: 'shardTest.makeCase',
  version: 1,
  kind: 'static',
  module: import.meta.url,
  apply: (s, _ctx, o) => {
    const id = sampleIdOf(s);
    if (id === 'case-007') return null;
    const rng = Rng.fromParts(['shard-test', id]);
    const data = new Float32Array(8 * 6 * 4);
    for (let i = 0; i < data.length; i++) data[i] = 3 * rng.normal();
    const n = Number(id.slice(5));
    const out = setKey(setKey(s, o.key, createImage('float32', [8, 6, 4], data)), 'data.label', n % 3);
    if (id !== 'case-013') return out;
    return [0, 1].map((k): Sample => setKey(out, 'data.sampleId', `${id}#${k}`));
  },
});

/** Busy-waits `ms` per sample. */
export const spinCase = defineOp<{ readonly ms: number }>({
  name: 'shardTest.spin',
  version: 1,
  kind: 'static',
  module: import.meta.url,
  apply: (s, _ctx, o) => {
    const end = performance.now() + o.ms;
    while (performance.now() < end) {
      /* busy */
    }
    return s;
  },
});

export const staticPipeline = [
  makeCase({ key: 'data.img' }),
  clipIntensity({ keys: ['data.img'], min: -4, max: 4 }),
  zScoreIntensity({ keys: ['data.img'] }),
  spinCase({ ms: SPIN_MS }),
];
