/**
 * Ops used by the cache and worker-runner tests. They register from this module (`module:
 * import.meta.url`) so worker threads can import them by path.
 */
import { Rng } from '../../src/core/rng.js';
import { getKey, setKey, sampleIdOf, createSample, type Sample } from '../../src/core/sample.js';
import { tensor, type Tensor } from '../../src/core/tensor.js';
import { defineOp } from '../../src/ops/registry.js';
import { pipeline, type Pipeline } from '../../src/ops/pipeline.js';

/** Writes a float32 [4,4,4] volume derived from the sample id, and a label. */
export const makeVolume = defineOp<{ readonly key: string; readonly size?: number }>({
  name: 'cacheTest.makeVolume',
  version: 1,
  kind: 'static',
  module: import.meta.url,
  apply: (s, _ctx, o) => {
    const n = o.size ?? 4;
    const rng = Rng.fromParts(['volume', sampleIdOf(s)]);
    const data = new Float32Array(n * n * n);
    for (let i = 0; i < data.length; i++) data[i] = rng.normal();
    const withVol = setKey(s, o.key, tensor('float32', [n, n, n], data));
    return setKey(withVol, 'data.label', sampleIdOf(s).length % 2);
  },
});

/** Mutable on purpose: the audit test changes the op's code path without a version bump. */
export const drift = { factor: 2 };

/** Multiplies a tensor by `factor` (times `drift.factor / 2`, which tests change). */
export const scale = defineOp<{ readonly key: string; readonly factor: number }>({
  name: 'cacheTest.scale',
  version: 1,
  kind: 'static',
  module: import.meta.url,
  apply: (s, _ctx, o) => {
    const t = getKey<Tensor<'float32'>>(s, o.key);
    const out = new Float32Array(t.data.length);
    for (let i = 0; i < out.length; i++) out[i] = (t.data[i] as number) * o.factor * (drift.factor / 2);
    return setKey(s, o.key, tensor('float32', t.shape, out));
  },
});

/** Burns `ms` of CPU (for the kill-during-fill test), on every sample or only those in `only`. */
export const spin = defineOp<{ readonly ms: number; readonly only?: readonly string[] }>({
  name: 'cacheTest.spin',
  version: 1,
  kind: 'static',
  module: import.meta.url,
  apply: (s, _ctx, o) => {
    if (o.only !== undefined && !o.only.includes(sampleIdOf(s))) return s;
    const end = performance.now() + o.ms;
    while (performance.now() < end) {
      /* busy */
    }
    return s;
  },
});

/** Drops ids listed in `drop`, splits ids listed in `split` into two. */
export const morph = defineOp<{ readonly drop: readonly string[]; readonly split: readonly string[] }>({
  name: 'cacheTest.morph',
  version: 1,
  kind: 'static',
  module: import.meta.url,
  apply: (s, _ctx, o) => {
    const id = sampleIdOf(s);
    if (o.drop.includes(id)) return null;
    if (!o.split.includes(id)) return s;
    return [0, 1].map((k): Sample => setKey(s, 'data.sampleId', `${id}#${k}`));
  },
});

/** Adds Gaussian noise from ctx.rng (random op). */
export const randNoise = defineOp<{ readonly key: string; readonly std: number }>({
  name: 'cacheTest.randNoise',
  version: 1,
  kind: 'random',
  module: import.meta.url,
  apply: (s, ctx, o) => {
    const t = getKey<Tensor<'float32'>>(s, o.key);
    const out = new Float32Array(t.data.length);
    for (let i = 0; i < out.length; i++) out[i] = (t.data[i] as number) + ctx.rng.normal(0, o.std);
    return setKey(s, o.key, tensor('float32', t.shape, out));
  },
});

/** Throws on the listed ids, or ends the worker thread (`process.exit`) on `exitOn`. */
export const failOn = defineOp<{ readonly throwOn?: readonly string[]; readonly exitOn?: readonly string[] }>({
  name: 'cacheTest.failOn',
  version: 1,
  kind: 'random',
  module: import.meta.url,
  apply: (s, _ctx, o) => {
    const id = sampleIdOf(s);
    if (o.exitOn?.includes(id) === true) process.exit(3);
    if (o.throwOn?.includes(id) === true) throw new Error(`refusing ${id}`);
    return s;
  },
});

/** A sample with a float32 volume, for runner tests. */
export function volumeSample(id: string, n = 4): Sample {
  const rng = Rng.fromParts(['input', id]);
  const data = new Float32Array(n * n * n);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  return setKey(createSample(id), 'img', tensor('float32', [n, n, n], data));
}

/** The static pipeline of the kill-during-fill test (slow enough to be killed mid-fill). */
export function killTestPipeline(): Pipeline {
  return pipeline([makeVolume({ key: 'img', size: 8 }), spin({ ms: 40 }), morph({ drop: ['id-3'], split: ['id-5'] })], { name: 'static' });
}

/**
 * Counts samples being processed at once across threads in a shared Int32Array
 * (`[current, max]`) and holds each for `ms` — for bounds on work in flight.
 */
export const track = defineOp<{ readonly counter: SharedArrayBuffer; readonly ms: number }>({
  name: 'cacheTest.track',
  version: 1,
  kind: 'random',
  module: import.meta.url,
  apply: (s, _ctx, o) => {
    const c = new Int32Array(o.counter);
    const now = Atomics.add(c, 0, 1) + 1;
    let max = Atomics.load(c, 1);
    while (now > max && Atomics.compareExchange(c, 1, max, now) !== max) max = Atomics.load(c, 1);
    const end = performance.now() + o.ms;
    while (performance.now() < end) {
      /* busy */
    }
    Atomics.sub(c, 0, 1);
    return s;
  },
});

/** Writes the same constant array (held by the op's options) into every sample. */
export const setConst = defineOp<{ readonly key: string; readonly value: Float32Array }>({
  name: 'cacheTest.setConst',
  version: 1,
  kind: 'static',
  module: import.meta.url,
  apply: (s, _ctx, o) => setKey(s, o.key, o.value),
});
