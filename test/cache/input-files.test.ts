import { copyFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSampleCache, type SampleCache } from '../../src/cache/index.js';
import { fingerprint } from '../../src/core/fingerprint.js';
import { createSample, setKey, type Sample } from '../../src/core/sample.js';
import { loadImage } from '../../src/ops/image/load-image.js';
import { readRows } from '../../src/ops/tabular/read-rows.js';
import { pipeline, runPipeline } from '../../src/ops/pipeline.js';
import { tempDirs } from '../temp-dirs.js';

const VOLUMES = resolve('test/fixtures/volumes');
const caches: SampleCache[] = [];
const tmp = tempDirs({
  prefix: 'ff-inputs-',
  beforeRemove: async () => {
    for (const c of caches.splice(0)) await c.close();
  },
});

/** A fresh, cache-free run of `p` on `id`: the reference. */
const fresh = async (p: ReturnType<typeof pipeline>, id: string): Promise<string> => fingerprint(await runPipeline(p, createSample(id), { seed: 0, epoch: 0 }));

describe('cache entries record their input files (issue 9 item 19)', () => {
  it('a volume replaced on disk under a filled cache is never served: verify names the file, reads recompute a new entry', async () => {
    const data = tmp();
    const file = join(data, 'vol.nii.gz');
    copyFileSync(join(VOLUMES, 'KmeansTest_T1UCharRaw.nii.gz'), file);
    const p = pipeline([loadImage({ key: 'data.sampleId', outKey: 'img', dir: data })], { name: 'static' });
    const c = openSampleCache({ dir: tmp(), pipeline: p, audit: false });
    caches.push(c);
    await c.fill(['vol.nii.gz'], { threads: 0 });
    const before = await fresh(p, 'vol.nii.gz');
    expect(fingerprint(await c.get('vol.nii.gz'))).toBe(before);

    // Same name, same dimensions, other content (a re-exported volume).
    copyFileSync(join(VOLUMES, 'KmeansTest_T1RawSkullStrip.nii.gz'), file);
    const after = await fresh(p, 'vol.nii.gz');
    expect(after).not.toBe(before);
    expect(await c.get('vol.nii.gz')).toBeUndefined(); // never the old data
    expect(c.has('vol.nii.gz')).toBe(false);
    const problems = await c.verify();
    expect(problems.map((x) => x.kind)).toEqual(['stale-input']);
    expect(problems[0]?.message).toContain(file);
    expect(fingerprint(await c.getOrCompute('vol.nii.gz'))).toBe(after); // recomputed, replacing the entry
    expect(fingerprint(await c.get('vol.nii.gz'))).toBe(after);
    expect(await c.verify()).toEqual([]);
    expect(c.status()).toMatchObject({ entries: 1, outputs: 1 });
    expect(c.entry('vol.nii.gz')?.inputs.map((f) => [f.path, f.size])).toEqual([[file, statSync(file).size]]);

    // Touched but unchanged: still fresh (the content hash decides), nothing recomputed.
    const committedAt = c.entry('vol.nii.gz')?.committedAt;
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect(c.has('vol.nii.gz')).toBe(true);
    expect(fingerprint(await c.get('vol.nii.gz'))).toBe(after);
    expect(c.entry('vol.nii.gz')?.committedAt).toBe(committedAt);

    // A fill on worker threads recomputes a stale entry too.
    copyFileSync(join(VOLUMES, 'KmeansTest_T1KmeansPrelimSegmentation.nii.gz'), file);
    const third = await fresh(p, 'vol.nii.gz');
    const report = await c.fill(['vol.nii.gz'], { threads: 1 });
    expect(report).toMatchObject({ alreadyCached: 0, computed: 1 });
    expect(fingerprint(await c.get('vol.nii.gz'))).toBe(third);
  });

  it("entries computed by a caller's compute (a dataset's source + static pipeline) record their files too", async () => {
    const data = tmp();
    const file = join(data, 'vol.nii.gz');
    copyFileSync(join(VOLUMES, 'KmeansTest_T1UCharRaw.nii.gz'), file);
    const p = pipeline([loadImage({ key: 'data.path', outKey: 'img' })], { name: 'static' });
    // What dataset().stream() hands the store: source(id) then the static pipeline.
    const compute = async (): Promise<Sample[]> => runPipeline(p, setKey(createSample('case-1'), 'data.path', file), { seed: 0, epoch: 0 });
    const c = openSampleCache({ dir: tmp(), pipeline: p, audit: false });
    caches.push(c);
    const before = fingerprint(await compute());
    expect(fingerprint(await c.getOrCompute('case-1', compute))).toBe(before);
    expect(c.entry('case-1')?.inputs.map((f) => f.path)).toEqual([file]);
    copyFileSync(join(VOLUMES, 'KmeansTest_T1RawSkullStrip.nii.gz'), file);
    const after = fingerprint(await compute());
    expect(fingerprint(await c.getOrCompute('case-1', compute))).toBe(after);
    expect(after).not.toBe(before);
  });

  it('records the table a readRows op reads, and treats an edited table as stale', async () => {
    const data = tmp();
    const csv = join(data, 'clinical.csv');
    const text = 'sampleId,age\nx,61\ny,70\n';
    writeFileSync(csv, text);
    const p = pipeline([readRows({ file: csv, columns: ['age'] })], { name: 'static' });
    const c = openSampleCache({ dir: tmp(), pipeline: p, audit: false });
    caches.push(c);
    await c.fill(['x', 'y'], { threads: 0 });
    expect(c.entry('x')?.inputs.map((f) => f.path)).toEqual([csv]);
    writeFileSync(csv, text);
    utimesSync(csv, new Date(), new Date(Date.now() + 5000)); // rewritten with the same bytes: fresh
    expect(c.has('x')).toBe(true);
    writeFileSync(csv, 'sampleId,age\nx,16\ny,70\n'); // same size, other content
    expect((await c.verify()).map((x) => [x.kind, x.initialId])).toEqual([
      ['stale-input', 'x'],
      ['stale-input', 'y'],
    ]);
    expect(await c.get('x')).toBeUndefined();
  });
});
