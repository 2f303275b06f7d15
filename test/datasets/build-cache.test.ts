import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readBuildSamples } from '../../src/datasets/common/build-cache.js';
import type { DatasetBuild } from '../../src/datasets/common/dataset-build.js';
import { idPath } from '../../src/datasets/common/id-path.js';
import { tempFolder } from '../temp-folder.js';

const { dir } = tempFolder('fuseflow-build-cache-test-');

describe('readBuildSamples: a build’s static stage through its cache', () => {
  it('fills, then hits; samples equal the pipeline’s; an edited build file keys a new cache', async () => {
    const labels = join(dir, 'labels.csv');
    writeFileSync(labels, 'id,label\na,0\nb,1\n');
    const build: DatasetBuild = {
      ids: ['a', 'b'],
      staticPipeline: [idPath({ outKey: 'data.path', template: 'img/{id}.png' })],
      dynamicPipeline: [],
      labels: [0, 1],
      labelKey: 'data.label',
      classNames: ['no', 'yes'],
      folds: [],
      foldPlan: null,
      foldSource: null,
      files: [labels],
    };
    const options = { dir: join(dir, 'cache'), name: 'toy-static' };
    const first = await readBuildSamples(build, options);
    expect(first.cacheHit).toBe(false);
    expect([...first.samples.keys()]).toEqual(['a', 'b']);
    expect((first.samples.get('b')?.['data'] as Record<string, unknown>)['path']).toBe('img/b.png');
    const again = await readBuildSamples(build, options);
    expect(again.cacheHit).toBe(true);
    expect(again.samples).toEqual(first.samples);
    expect((await readBuildSamples(build, { ...options, ids: ['b'] })).samples.size).toBe(1);
    writeFileSync(labels, 'id,label\na,1\nb,1\n');
    expect((await readBuildSamples(build, options)).cacheHit).toBe(false);
  });
});
