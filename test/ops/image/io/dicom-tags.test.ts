/**
 * DICOM attributes by keyword (readDicomTags, loadImage's `tags`), compared with pydicom's data
 * dictionary and values (dicom-tags-reference.py → dicom-tags-reference.json), not with GDCM.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError, OptionsError } from '../../../../src/core/errors.js';
import { createSample, getKey, setKey, type Sample } from '../../../../src/core/sample.js';
import { pipeline, pipelineSpec, runPipeline } from '../../../../src/ops/pipeline.js';
import { createWorkerRunner } from '../../../../src/workers/worker-runner.js';
import { dicomAttributes, dicomKeywords } from '../../../../src/ops/image/io/dicom-keywords.js';
import { readDicomTagsLocal } from '../../../../src/ops/image/io/dicom-tags-local.js';
import { readDicomTags } from '../../../../src/ops/image/io/dicom-tags.js';
import { readImage } from '../../../../src/ops/image/io/read-image.js';
import { loadImage } from '../../../../src/ops/image/load-image.js';
import { ioTestFolder } from './io-test-folder.js';

const REF = JSON.parse(readFileSync('test/ops/image/io/dicom-tags-reference.json', 'utf8')) as {
  readonly table: Record<string, [number, number, string]>;
  readonly files: Record<string, Record<string, unknown>>;
  readonly seriesFirstFile: string;
};
const FIXTURES = 'test/fixtures/dicom';
const SERIES = join(FIXTURES, 'series-mr-brain');
const dir = ioTestFolder({ prefix: 'fuseflow-dicom-tags-' });

describe('DICOM keyword table', () => {
  it('has pydicom’s tag and VR for every keyword', () => {
    expect(dicomKeywords().length).toBeGreaterThanOrEqual(80);
    expect(Object.keys(REF.table)).toEqual(dicomKeywords());
    for (const a of dicomAttributes(dicomKeywords())) {
      const [group, element, vr] = REF.table[a.keyword] ?? [];
      expect([a.keyword, a.group, a.element]).toEqual([a.keyword, group, element]);
      expect(vr === 'US or SS' ? 'US' : vr).toBe(a.vr);
    }
  });

  it('refuses an unknown keyword naming the closest known ones, and a repeated one', () => {
    expect(() => dicomAttributes(['PatientId'])).toThrow(OptionsError);
    expect(() => dicomAttributes(['PatientId'])).toThrow(/unknown DICOM keyword 'PatientId'; closest: 'PatientID'/);
    expect(() => dicomAttributes(['SliceThicknes'])).toThrow(/closest: 'SliceThickness'/);
    expect(() => dicomAttributes(['Modality', 'Modality'])).toThrow(/listed twice/);
    expect(() => dicomAttributes([])).toThrow(/at least one/);
  });
});

describe('readDicomTags', () => {
  for (const name of ['single/CT_small.dcm', 'single/MR_small.dcm', 'single/MR_small_implicit.dcm', 'single/MR_small_bigendian.dcm']) {
    it(`reads every keyword of ${name} as pydicom does (numbers, strings, lists, null when absent or empty)`, async () => {
      const tags = await readDicomTags(join(FIXTURES, name), dicomKeywords());
      expect(tags).toEqual(REF.files[name]);
    });
  }

  it('reads a series folder from the slice at the volume’s index 0 (its position is the image origin)', async () => {
    const tags = await readDicomTags(SERIES, dicomKeywords());
    expect(tags).toEqual(REF.files['series-mr-brain']);
    const first = await readDicomTags(join(SERIES, REF.seriesFirstFile), ['SOPInstanceUID', 'ImagePositionPatient']);
    expect(tags['SOPInstanceUID']).toBe(first['SOPInstanceUID']);
    const image = await readImage(SERIES);
    const origin = tags['ImagePositionPatient'] as number[];
    image.origin.forEach((v, i) => expect(v).toBeCloseTo(origin[i] as number, 3));
  });

  it('returns the keywords asked for, in that order, the same on the IO pool and inline', async () => {
    const keywords = ['SliceThickness', 'PatientID', 'StudyDate', 'Modality', 'SeriesDescription', 'Manufacturer', 'PixelSpacing', 'ImageType', 'InstitutionName'];
    const tags = await readDicomTags(SERIES, keywords);
    expect(Object.keys(tags)).toEqual(keywords);
    expect(tags).toEqual({
      SliceThickness: 5,
      PatientID: '123565',
      StudyDate: '20010316',
      Modality: 'MR',
      SeriesDescription: 'FSE PD AXIAL OBL',
      Manufacturer: 'GE Medical Systems',
      PixelSpacing: [0.859375, 0.859375],
      ImageType: ['ORIGINAL', 'PRIMARY', 'MPR'],
      InstitutionName: null,
    });
    expect(await readDicomTagsLocal(SERIES, keywords)).toEqual(tags);
  });

  it('names the file for a missing path, a file that is not DICOM, and an unknown keyword before reading', async () => {
    await expect(readDicomTags(join(dir, 'nope.dcm'), ['Modality'])).rejects.toThrow(/nope\.dcm.*no such file/);
    const notDicom = join(dir, 'notes.dcm');
    writeFileSync(notDicom, 'not a DICOM file at all, just some text '.repeat(10));
    await expect(readDicomTags(notDicom, ['Modality'])).rejects.toThrow(InputError);
    await expect(readDicomTags(notDicom, ['Modality'])).rejects.toThrow(/notes\.dcm/);
    await expect(readDicomTags('test/fixtures/volumes/KmeansTest_T1UCharRaw.nii.gz', ['Modality'])).rejects.toThrow(/KmeansTest_T1UCharRaw\.nii\.gz/);
    await expect(readDicomTags(join(dir, 'nope.dcm'), ['Modalty'])).rejects.toThrow(/unknown DICOM keyword 'Modalty'; closest: 'Modality'/);
  });

  it('names the file and the attribute for a numeric value that is not a number, and refuses a cut file', async () => {
    const bytes = readFileSync(join(FIXTURES, 'single/MR_small.dcm'));
    const at = bytes.indexOf(Buffer.from([0x18, 0x00, 0x50, 0x00, 0x44, 0x53])); // (0018,0050) SliceThickness, DS
    expect(at).toBeGreaterThan(0);
    const bad = Buffer.from(bytes);
    bad.write('0.8mm ', at + 8, 'latin1'); // same 6-byte length
    const badFile = join(dir, 'bad-ds.dcm');
    writeFileSync(badFile, bad);
    await expect(readDicomTags(badFile, ['Modality'])).resolves.toEqual({ Modality: 'MR' });
    await expect(readDicomTags(badFile, ['SliceThickness'])).rejects.toThrow(
      /bad-ds\.dcm: DICOM attribute SliceThickness \(0018,0050\) \(VR DS\) holds '0\.8mm', which is not a number/,
    );
    const cut = join(dir, 'cut.dcm');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expect(readDicomTags(cut, ['Modality'])).rejects.toThrow(/cut\.dcm: truncated DICOM/);
  });
});

describe('loadImage with tags', () => {
  const withPath = (id: string, path: string): Sample => setKey(createSample(id), 'data.input.path', path);

  it('writes the image to outKey and the requested attributes to tagsKey', async () => {
    const op = loadImage({ key: 'data.input.path', outKey: 'data.input.img', tags: ['PatientID', 'Modality', 'SliceThickness', 'StudyDate'], tagsKey: 'data.input.dicom' });
    const [out] = await runPipeline(pipeline([op]), withPath('s1', resolve(SERIES)), { seed: 0, epoch: 0 });
    expect(getKey(out as Sample, 'data.input.img')).toMatchObject({ dtype: 'int16', shape: [20, 256, 256] });
    expect(getKey(out as Sample, 'data.input.dicom')).toEqual({ PatientID: '123565', Modality: 'MR', SliceThickness: 5, StudyDate: '20010316' });
    const [ct] = await runPipeline(pipeline([op]), withPath('s2', join(FIXTURES, 'single/CT_small.dcm')), { seed: 0, epoch: 0 });
    expect(getKey(ct as Sample, 'data.input.dicom')).toEqual({ PatientID: '1CT1', Modality: 'CT', SliceThickness: 5, StudyDate: '20040119' });
  });

  it('gives the same attributes inside a worker runner (read inline on the worker thread)', async () => {
    const op = loadImage({ key: 'data.input.path', outKey: 'data.input.img', tags: ['PatientID', 'PixelSpacing', 'ImagePositionPatient'], tagsKey: 'data.input.dicom' });
    const runner = createWorkerRunner({ pipeline: pipelineSpec(pipeline([op])), threads: 1 });
    try {
      const [[onWorker]] = (await runner.run([withPath('w1', resolve(SERIES))], { seed: 0, epoch: 0 })) as [[Sample]];
      expect(getKey(onWorker, 'data.input.dicom')).toEqual({
        PatientID: '123565',
        PixelSpacing: [0.859375, 0.859375],
        ImagePositionPatient: REF.files['series-mr-brain']?.['ImagePositionPatient'],
      });
    } finally {
      await runner.close();
    }
  });

  it('checks tags when built: unknown keyword with close names, tags without tagsKey and the reverse', () => {
    expect(() => loadImage({ key: 'p', tags: ['Modalty'], tagsKey: 'm' })).toThrow(/option 'tags': unknown DICOM keyword 'Modalty'; closest: 'Modality'/);
    expect(() => loadImage({ key: 'p', tags: ['Modality'] })).toThrow(/'tags' and 'tagsKey' go together/);
    expect(() => loadImage({ key: 'p', tagsKey: 'm' })).toThrow(OptionsError);
    expect(() => loadImage({ key: 'p', tags: [], tagsKey: 'm' })).toThrow(OptionsError);
  });

  it('fails the sample naming the file when tags are asked of a NIfTI', async () => {
    const op = loadImage({ key: 'data.input.path', tags: ['Modality'], tagsKey: 'data.meta' });
    await expect(runPipeline(pipeline([op]), withPath('nifti-1', 'test/fixtures/volumes/KmeansTest_T1UCharRaw.nii.gz'), { seed: 0, epoch: 0 })).rejects.toThrow(
      /nifti-1[\s\S]*KmeansTest_T1UCharRaw\.nii\.gz/,
    );
  });
});
