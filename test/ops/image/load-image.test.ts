/**
 * loadImage (image.load): path key → Image, options checked when built, registered for workers,
 * and a bad file fails only its own sample with an OpError whose cause is an InputError.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError, OpError, OptionsError, TypeMismatchError } from '../../../src/core/errors.js';
import { isImage } from '../../../src/core/image.js';
import { createSample, getKey, setKey, type Sample } from '../../../src/core/sample.js';
import { specOf, type OpSpec } from '../../../src/ops/op.js';
import { pipeline, runPipeline } from '../../../src/ops/pipeline.js';
import { createOp } from '../../../src/ops/registry.js';
import { closeIoPool } from '../../../src/ops/image/io/io-pool.js';
import { loadImage } from '../../../src/ops/image/load-image.js';
import { pipelineSpec } from '../../../src/ops/pipeline.js';
import { createWorkerRunner } from '../../../src/workers/worker-runner.js';

const dir = mkdtempSync(join(tmpdir(), 'fuseflow-load-'));
afterAll(async () => {
  await closeIoPool();
  rmSync(dir, { recursive: true, force: true });
});

const withPath = (id: string, path: string): Sample => setKey(createSample(id), 'data.input.path', path);

describe('loadImage', () => {
  it('reads the path at key and writes the Image to outKey, leaving the input sample untouched', async () => {
    const op = loadImage({ key: 'data.input.path', outKey: 'data.input.img', dir: 'test/fixtures/volumes' });
    const input = withPath('s1', 'KmeansTest_T1KmeansPrelimSegmentation.nii.gz');
    const [out] = await runPipeline(pipeline([op]), input, { seed: 0, epoch: 0 });
    const img = getKey(out as Sample, 'data.input.img');
    expect(isImage(img)).toBe(true);
    expect(img).toMatchObject({ dtype: 'uint8', shape: [62, 128, 128], origin: [0, 254, 0] });
    expect(getKey(out as Sample, 'data.input.path')).toBe('KmeansTest_T1KmeansPrelimSegmentation.nii.gz');
    expect(() => getKey(input, 'data.input.img')).toThrow();
  });

  it('replaces the path by default, accepts absolute paths and DICOM series folders', async () => {
    const op = loadImage({ key: 'data.img', dir: '/nowhere' });
    const sample = setKey(createSample('s2'), 'data.img', resolve('test/fixtures/dicom/series-mr-brain'));
    const [out] = await runPipeline(pipeline([op]), sample, { seed: 0, epoch: 0 });
    expect(getKey(out as Sample, 'data.img')).toMatchObject({ dtype: 'int16', shape: [20, 256, 256] });
  });

  it('is a registered static op rebuilt from its spec', () => {
    const op = loadImage({ key: 'a', outKey: 'b' });
    expect(op.kind).toBe('static');
    const spec = specOf(op);
    expect(spec).toMatchObject({ name: 'image.load', version: 1, options: { key: 'a', outKey: 'b' } });
    expect(createOp(JSON.parse(JSON.stringify(spec)) as OpSpec).options).toEqual(op.options);
  });

  it('checks options when built', () => {
    expect(() => loadImage({ key: '' })).toThrow(OptionsError);
    expect(() => loadImage({ key: 'a', outKey: 3 as unknown as string })).toThrow(OptionsError);
    expect(() => loadImage({ key: 'a', dir: '' })).toThrow(OptionsError);
  });

  it('a bad file fails its own sample only, with an OpError naming the op, sample and file', async () => {
    const bad = join(dir, 'bad.nii.gz');
    writeFileSync(bad, readFileSync('test/fixtures/volumes/KmeansTest_T1RawSkullStrip.nii.gz').subarray(0, 3000));
    const p = pipeline([loadImage({ key: 'data.input.path', outKey: 'data.input.img' })]);
    const paths = ['test/fixtures/volumes/KmeansTest_T1RawSkullStrip.nii.gz', bad, 'test/fixtures/volumes/anatomical.nii', 42];
    const results = await Promise.allSettled(
      paths.map((path, i) => Promise.resolve(runPipeline(p, setKey(createSample(`case-${i}`), 'data.input.path', path), { seed: 0, epoch: 0 }))),
    );
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected']);
    const err = (results[1] as PromiseRejectedResult).reason as OpError;
    expect(err).toBeInstanceOf(OpError);
    expect(err.sampleId).toBe('case-1');
    expect(err.op).toBe('image.load');
    expect(err.cause).toBeInstanceOf(InputError);
    expect((err.cause as InputError).file).toBe(bad);
    expect(err.message).toContain(bad);
    const typeErr = (results[3] as PromiseRejectedResult).reason as OpError;
    expect(typeErr.cause).toBeInstanceOf(TypeMismatchError);
    expect(typeErr.message).toContain("key 'data.input.path' of sample 'case-3' must hold a path string");
  });

  it('inside the worker runner (reads inline on its threads), a bad file is skipped and counted; the other samples come through', async () => {
    const bad = join(dir, 'runner-bad.nii.gz');
    writeFileSync(bad, readFileSync('test/fixtures/volumes/KmeansTest_T1RawSkullStrip.nii.gz').subarray(0, 5000));
    const spec = pipelineSpec(pipeline([loadImage({ key: 'data.input.path', outKey: 'data.input.img' })]));
    const runner = createWorkerRunner({ pipeline: spec, threads: 1, samplesPerTask: 2, onError: 'skip' });
    try {
      const paths = ['test/fixtures/volumes/KmeansTest_T1RawSkullStrip.nii.gz', bad, 'test/fixtures/volumes/anatomical.nii'];
      const outputs = await runner.run(
        paths.map((p, i) => withPath(`r${i}`, p)),
        { seed: 1, epoch: 0 },
      );
      expect(outputs.map((o) => o.length)).toEqual([1, 0, 1]);
      expect(getKey(outputs[2]?.[0] as Sample, 'data.input.img')).toMatchObject({ dtype: 'int16', shape: [25, 41, 33] });
      const stats = runner.stats();
      expect(stats.skipped).toBe(1);
      expect(stats.errors[0]?.sampleId).toBe('r1');
      expect(stats.errors[0]?.message).toContain(bad);
    } finally {
      await runner.close();
    }
  });
});
