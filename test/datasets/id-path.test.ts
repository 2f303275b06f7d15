import { describe, expect, it } from 'vitest';
import { InputError, OptionsError } from '../../src/core/errors.js';
import { createSample, getKey, type Sample } from '../../src/core/sample.js';
import { idPath } from '../../src/datasets/common/id-path.js';
import { pipeline, runPipeline } from '../../src/ops/pipeline.js';

async function pathOf(id: string, template: string): Promise<unknown> {
  const [out] = await runPipeline(pipeline([idPath({ outKey: 'data.path', template })]), createSample(id), { seed: 0, epoch: 0 });
  return getKey(out as Sample, 'data.path');
}

describe('idPath (sample id → file path in the data set folder)', () => {
  it('replaces every {id}', async () => {
    expect(await pathOf('case_00007', '{id}/imaging.nii.gz')).toBe('case_00007/imaging.nii.gz');
    expect(await pathOf('ISIC_0000001', '{id}.jpg')).toBe('ISIC_0000001.jpg');
    expect(await pathOf('a', '{id}/{id}.nii')).toBe('a/a.nii');
  });

  it('refuses an id that would leave the folder, and a template without {id}', async () => {
    const err = await pathOf('../etc', '{id}.jpg').catch((e: unknown) => e);
    expect((err as { cause?: unknown }).cause).toBeInstanceOf(InputError);
    await expect(pathOf('/etc/passwd', '{id}')).rejects.toThrow(/outside the data set's folder/);
    await expect(pathOf('a/../../b', '{id}')).rejects.toThrow(/outside/);
    expect(() => idPath({ outKey: 'data.path', template: 'imaging.nii.gz' })).toThrow(OptionsError);
  });
});
