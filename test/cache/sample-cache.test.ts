import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Int32, Vector } from 'apache-arrow';
import { afterEach, describe, expect, it } from 'vitest';
import { CACHE_FILES, openCacheFolder, openSampleCache, readManifest, StaleCacheError, type SampleCache } from '../../src/cache/index.js';
import { OpError } from '../../src/core/errors.js';
import { fingerprint } from '../../src/core/fingerprint.js';
import { createSample, getKey, type Sample } from '../../src/core/sample.js';
import type { Tensor } from '../../src/core/tensor.js';
import { pipeline, runPipeline } from '../../src/ops/pipeline.js';
import { drift, failOn, makeVolume, morph, scale, setConst } from './test-ops.js';
import { tempDirs } from '../temp-dirs.js';

const caches: SampleCache[] = [];
const tmp = tempDirs({
  prefix: 'ff-cache-',
  beforeRemove: async () => {
    for (const c of caches.splice(0)) await c.close();
  },
});
afterEach(() => {
  drift.factor = 2;
});

const staticOps = (factor = 3) => pipeline([makeVolume({ key: 'img' }), scale({ key: 'img', factor }), morph({ drop: ['drop me'], split: ['split/me'] })], { name: 'static' });
const open = (dir: string, factor = 3, audit: false | { everySamples: number } = false): SampleCache => {
  const c = openSampleCache({ dir, pipeline: staticOps(factor), audit });
  caches.push(c);
  return c;
};
const UNSAFE = ['../../etc/passwd', 'a/b/c', '..', 'with space', 'ünïcødé 病例 🧠', 'C:\\x', ''];

describe('sample cache', () => {
  it('stores outputs equal to an in-thread run, read-only, and reads them back', async () => {
    const c = open(tmp());
    const [got] = await c.getOrCompute('case-1');
    const [want] = await runPipeline(staticOps(), createSample('case-1'), { seed: 0, epoch: 0 });
    expect(fingerprint(got)).toBe(fingerprint(want));
    const again = await c.get('case-1');
    expect(fingerprint(again?.[0])).toBe(fingerprint(want));
    expect(Object.isFrozen(got)).toBe(true);
    expect(Object.isFrozen(getKey(got as Sample, 'img'))).toBe(true);
    expect(() => {
      (got as Record<string, unknown>).img = 1;
    }).toThrow(TypeError);
    // Writing into a returned array never reaches the cache.
    getKey<Tensor<'float32'>>(got as Sample, 'img').data[0] = 12345;
    const third = await c.get('case-1');
    expect(getKey<Tensor<'float32'>>(third?.[0] as Sample, 'img').data[0]).not.toBe(12345);
  });

  it('remembers dropped samples and one→many splits, and lists them in the manifest', async () => {
    const c = open(tmp());
    const report = await c.fill(['a', 'drop me', 'split/me'], { threads: 0 });
    expect(report).toMatchObject({ requested: 3, computed: 3, dropped: 1, alreadyCached: 0 });
    expect(await c.get('drop me')).toEqual([]);
    const split = (await c.get('split/me')) ?? [];
    expect(split.map((s) => getKey(s, 'data.sampleId'))).toEqual(['split/me#0', 'split/me#1']);
    expect(split.map((s) => getKey(s, 'data.initialSampleId'))).toEqual(['split/me', 'split/me']);
    const m = readManifest(join(c.folder, CACHE_FILES.manifest));
    expect(m.numRows).toBe(4);
    expect(m.getChild('initialSampleId')?.toArray()).toEqual(['a', 'drop me', 'split/me', 'split/me']);
    expect(m.getChild('sampleId')?.toArray()).toEqual(['a', null, 'split/me#0', 'split/me#1']);
    expect(m.getChild('status')?.toArray()).toEqual(['ok', 'dropped', 'ok', 'ok']);
    expect([...(m.getChild('data.label')?.toArray() as Float64Array)].slice(0, 1)).toEqual([1]);
    expect((m.getChild('img:shape')?.get(0) as Vector<Int32> | undefined)?.toArray()).toEqual(new Int32Array([4, 4, 4]));
    expect(c.status()).toMatchObject({ entries: 3, outputs: 3, dropped: 1 });
  });

  it('stores unsafe ids by digest, never as file names', async () => {
    const dir = tmp();
    const c = open(dir);
    await c.fill(UNSAFE, { threads: 0 });
    for (const id of UNSAFE) {
      const [s] = (await c.get(id)) ?? [];
      expect(getKey(s as Sample, 'data.sampleId')).toBe(id);
    }
    expect(readdirSync(dir)).toEqual([c.key]);
    expect(readdirSync(c.folder).sort()).toEqual(
      [CACHE_FILES.store, `${CACHE_FILES.store}-lock`, CACHE_FILES.manifest, `${CACHE_FILES.manifest}.sha256`, CACHE_FILES.pipeline, CACHE_FILES.marker].sort(),
    );
    expect((c.manifest().getChild('sampleId')?.toArray() as string[]).sort()).toEqual([...UNSAFE].sort());
  });

  it('builds a new cache beside the old one when an option changes', async () => {
    const dir = tmp();
    const a = open(dir, 3);
    await a.getOrCompute('x');
    const b = open(dir, 4);
    expect(b.key).not.toBe(a.key);
    expect(b.has('x')).toBe(false);
    expect(readdirSync(dir).sort()).toEqual([a.key, b.key].sort());
    expect(a.has('x')).toBe(true);
  });

  it('fills on worker threads with the same bytes as in-thread, and skips what is cached', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `w${i}`);
    const inThread = open(tmp());
    await inThread.fill(ids, { threads: 0 });
    const workers = open(tmp());
    await workers.fill(ids.slice(0, 3), { threads: 0 });
    const report = await workers.fill([...ids, 'drop me'], { threads: 2, idsPerTask: 2 });
    expect(report).toMatchObject({ requested: 11, alreadyCached: 3, computed: 8, dropped: 1 });
    for (const id of ids) expect(fingerprint(await workers.get(id))).toBe(fingerprint(await inThread.get(id)));
  });

  it('fails a fill with the op and sample, or skips and counts', async () => {
    const p = pipeline([makeVolume({ key: 'img' }), failOn({ throwOn: ['bad'] })], { name: 'static' });
    const c = openSampleCache({ dir: tmp(), pipeline: p, audit: false });
    caches.push(c);
    const err = await c.fill(['ok1', 'bad', 'ok2'], { threads: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpError);
    expect(err).toMatchObject({ op: 'cacheTest.failOn', opId: 'static.1.cacheTest.failOn', sampleId: 'bad' });
    const report = await c.fill(['ok1', 'bad', 'ok2'], { threads: 0, onError: 'skip' });
    expect(report.failed.map((f) => f.initialId)).toEqual(['bad']);
    expect(c.has('ok2') && !c.has('bad')).toBe(true);
  });

  it('audit catches an op whose code changed without a version bump, naming the op', async () => {
    const c = open(tmp(), 3, { everySamples: 2 });
    await c.fill(['p', 'q', 'r'], { threads: 0 });
    expect(await c.get('p')).toHaveLength(1); // first read: audited, fresh
    drift.factor = 4; // the op's behaviour changes, its version does not
    expect(await c.get('q')).toHaveLength(1); // not due
    const err = await c.get('r').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StaleCacheError);
    expect(err).toMatchObject({ op: 'cacheTest.scale', opId: 'static.1.cacheTest.scale', stage: 1, initialId: 'r' });
    const problems = await c.verify({ recompute: true });
    expect(problems.map((p) => p.kind)).toEqual(['stale', 'stale', 'stale']);
  });

  it('reopens a cache whose op options JSON cannot say exactly (a typed array, Infinity, NaN)', async () => {
    const dir = tmp();
    const p = pipeline([makeVolume({ key: 'img' }), setConst({ key: 'c', value: new Float32Array([1, NaN]) }), scale({ key: 'img', factor: Infinity })], { name: 'static' });
    const c = openSampleCache({ dir, pipeline: p, audit: false });
    caches.push(c);
    await c.fill(['a'], { threads: 0 });
    const again = openSampleCache({ dir, pipeline: p, audit: false });
    caches.push(again);
    expect(again.folder).toBe(c.folder);
    const fromFolder = await openCacheFolder(c.folder);
    caches.push(fromFolder);
    expect(await fromFolder.get('a')).toHaveLength(1);
  });

  it('verify from the folder alone finds nothing wrong in a sound cache', async () => {
    const c = open(tmp());
    await c.fill(['a', 'split/me', 'drop me'], { threads: 0 });
    const again = await openCacheFolder(c.folder);
    caches.push(again);
    expect(await again.verify({ recompute: true })).toEqual([]);
    expect(again.status()).toMatchObject({ entries: 3, outputs: 3 });
  });
});

describe('sample cache as a StaticStore', () => {
  it("stores the caller's compute result once and audits against it", async () => {
    const c = openSampleCache({ dir: tmp(), pipeline: staticOps(), audit: { everySamples: 1 } });
    caches.push(c);
    let calls = 0;
    const compute = (): Promise<Sample[]> => {
      calls++;
      return Promise.resolve([{ data: { sampleId: 'row-7', initialSampleId: 'row-7' }, age: 61, ratio: calls === 1 || calls === 2 ? 0.5 : 0.25 }]);
    };
    const first = await c.getOrCompute('row-7', compute);
    expect(first[0]).toMatchObject({ age: 61, ratio: 0.5 });
    expect(calls).toBe(1);
    await c.getOrCompute('row-7', compute); // read + audit recomputes once: still equal
    expect(calls).toBe(2);
    const err = await c.getOrCompute('row-7', compute).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StaleCacheError);
    expect(c.manifest().getChild('age')?.toArray()).toEqual(new Float64Array([61]));
  });
});

describe('fill with a dying worker thread', () => {
  it('counts the ids of the dead task under skip and keeps the rest; stops with an error otherwise', async () => {
    const p = pipeline([makeVolume({ key: 'img' }), failOn({ exitOn: ['x2'] })], { name: 'static' });
    const c = openSampleCache({ dir: tmp(), pipeline: p, audit: false });
    caches.push(c);
    const ids = ['x0', 'x1', 'x2', 'x3'];
    const report = await c.fill(ids, { threads: 1, idsPerTask: 1, onError: 'skip' });
    expect(report.failed.map((f) => f.initialId)).toEqual(['x2']);
    expect(report.failed[0]?.message).toMatch(/thread died/);
    expect(ids.map((id) => c.has(id))).toEqual([true, true, false, true]);
    await expect(c.fill(ids, { threads: 1 })).rejects.toThrow(/thread died/);
  });
});
