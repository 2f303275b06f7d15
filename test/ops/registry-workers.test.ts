/**
 * Every registered op round-trips through a worker thread (issue 9, item 17: `image.threshold`
 * was "unknown op" on workers because the worker's op list was kept by hand). The test finds
 * every op file under src/ops by its source, imports them all, walks the registry, and runs each
 * op in-thread and on a real worker (runner-worker.ts, which loads only src/ops/builtin-ops): the
 * outputs must be the same bytes. An op without an entry in EXAMPLES fails the test, as does an
 * op the worker does not know.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/core/fingerprint.js';
import { createImage } from '../../src/core/image.js';
import { createSample, setKey, type Sample } from '../../src/core/sample.js';
import { tensor } from '../../src/core/tensor.js';
import { workerEntry } from '../../src/core/workers.js';
import { pipelineFromSpec, runPipeline, type PipelineSpec } from '../../src/ops/pipeline.js';
import { createOp, registeredOps } from '../../src/ops/registry.js';
import { BUILTIN_FAMILIES } from '../../src/ops/builtin-ops.js';
import { progressBuffer } from '../../src/workers/worker-progress.js';
import type { RunnerResult, RunnerTask } from '../../src/workers/runner-worker.js';
import { createWorkerRunner } from '../../src/workers/worker-runner.js';

const OPS_DIR = fileURLToPath(new URL('../../src/ops/', import.meta.url));

/** Every .ts file under src/ops whose source defines or registers an op. */
function opFiles(dir = OPS_DIR): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...opFiles(path));
    else if (entry.name.endsWith('.ts') && entry.name !== 'registry.ts' && /\bdefineOp\s*[<(]|\bregisterOp\s*\(/.test(readFileSync(path, 'utf8'))) out.push(path);
  }
  return out.sort();
}

function image(dtype: 'float32' | 'uint8', f: (x: number, y: number, z: number) => number) {
  const [nx, ny, nz] = [8, 6, 4];
  const data = dtype === 'float32' ? new Float32Array(nx * ny * nz) : new Uint8Array(nx * ny * nz);
  let i = 0;
  for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) data[i++] = f(x, y, z);
  return createImage(dtype, [nx, ny, nz], data, { spacing: [1, 1.5, 2], origin: [3, -2, 1] });
}

/** One sample holding what every example reads. */
function baseSample(): Sample {
  let s = createSample('case0');
  const put: [string, unknown][] = [
    ['img', image('float32', (x, y, z) => Math.sin(x) * 40 + y * 3 + z + 50)],
    ['seg', image('uint8', (x, y, z) => (x > 1 && x < 6 && y > 0 && y < 5 ? 1 + ((x + y + z) % 2) : 0))],
    ['data.x', 3],
    ['data.y', 4.5],
    ['data.nan', Number.NaN],
    ['data.label', 2],
    ['data.diagnosis', 'M'],
    ['data.flag', true],
    ['data.vec', [1, 2, 3]],
    ['data.onehot', [0, 0, 1]],
    ['data.path', 'anatomical.nii'],
    ['data.t', tensor('float32', [3], new Float32Array([1.5, -2, 7]))],
  ];
  for (const [k, v] of put) s = setKey(s, k, v);
  return s;
}

let csvFile = '';
const VOLUMES = fileURLToPath(new URL('../fixtures/volumes/', import.meta.url));
const set = (key: string, value: unknown) => ({ name: 'keys.set', version: 1, options: { key, value } });
const spatialKeys = ['img', 'seg'];

/** A minimal valid options object per registered op; `worker: 'refused'` where the op cannot cross threads. */
const EXAMPLES: Readonly<Record<string, () => { readonly options: Record<string, unknown>; readonly worker?: 'refused' }>> = {
  'keys.set': () => ({ options: { key: 'data.site', value: 'A' } }),
  'keys.setIfMissing': () => ({ options: { key: 'data.weight', value: 1 } }),
  'keys.copy': () => ({ options: { inKey: 'data.x', outKey: 'data.x2' } }),
  'keys.delete': () => ({ options: { keys: ['data.vec'] } }),
  'keys.keep': () => ({ options: { keys: ['img', 'data.x'] } }),
  'keys.lookup': () => ({ options: { inKey: 'data.diagnosis', outKey: 'data.cls', map: { M: 0, B: 1 } } }),
  'keys.oneHot': () => ({ options: { inKey: 'data.label', outKey: 'data.oh', numClasses: 3 } }),
  'keys.concat': () => ({ options: { keys: ['data.x', 'data.vec'], outKey: 'data.cat' } }),
  'keys.replace': () => ({ options: { inKey: 'data.vec', find: [2], replaceWith: 0 } }),
  'keys.overrideNaN': () => ({ options: { key: 'data.nan', value: -1 } }),
  'keys.zScore': () => ({ options: { key: 'data.y', mean: 1, std: 2 } }),
  'cast.toTensor': () => ({ options: { keys: ['data.vec'], dtype: 'float32' } }),
  'cast.toNumber': () => ({ options: { keys: 'data.flag' } }),
  'cast.toInt': () => ({ options: { keys: 'data.y' } }),
  'cast.toFloat': () => ({ options: { keys: ['data.x'] } }),
  'cast.oneHotToIndex': () => ({ options: { inKey: 'data.onehot', outKey: 'data.idx', numClasses: 3 } }),
  'meta.repeat': () => ({ options: { op: set('data.r', 0), steps: [{ key: 'data.r1' }, { key: 'data.r2' }] } }),
  'meta.cond': () => ({ options: { op: set('data.c', 1), condition: 'data.flag' } }),
  'meta.applyByType': () => ({
    options: { rules: [{ type: 'image', op: { name: 'keys.setIfMissing', version: 1, options: { key: 'x', value: 0 } } }], patterns: [['^img$', 'image']] },
  }),
  'meta.lambda': () => ({ options: { key: 'data.x', fn: (v: unknown) => (v as number) + 1 }, worker: 'refused' }),
  'random.sample': () => ({ options: { op: { name: 'keys.set', version: 1, options: { key: 'data.u', value: { $sampler: 'uniform', min: 0, max: 1 } } } } }),
  'random.randApply': () => ({ options: { op: { name: 'image.randFlip', version: 1, options: { keys: spatialKeys, prob: 1, axes: [1] } }, p: 0.7 } }),
  'random.oneOf': () => ({ options: { ops: [set('data.o', 1), set('data.o', 2), set('data.o', 3)] } }),
  'tabular.readRows': () => ({ options: { file: csvFile, idColumn: 'id', columns: ['age'] } }),
  'debug.printKeys': () => ({ options: { ids: ['nobody'] } }),
  'debug.printShapes': () => ({ options: { ids: ['nobody'] } }),
  'image.load': () => ({ options: { key: 'data.path', outKey: 'loaded', dir: VOLUMES } }),
  'image.reorient': () => ({ options: { keys: spatialKeys, orientation: 'LPS' } }),
  'image.resample': () => ({ options: { keys: spatialKeys, spacing: 1.25, interpolation: ['linear', 'nearest'] } }),
  'image.cropOrPad': () => ({ options: { keys: spatialKeys, size: [6, 8, 4] } }),
  'image.cropToMask': () => ({ options: { keys: spatialKeys, maskKey: 'seg', margin: 1 } }),
  'image.extractPatches': () => ({ options: { keys: spatialKeys, patchSize: [4, 4, 4], stride: [4, 2, 4] } }),
  'image.extractSlices': () => ({ options: { keys: spatialKeys, axis: 'z' } }),
  'image.clipIntensity': () => ({ options: { keys: ['img'], min: 20, max: 70 } }),
  'image.windowIntensity': () => ({ options: { keys: ['img'], level: 50, width: 40 } }),
  'image.zScoreIntensity': () => ({ options: { keys: ['img'], maskKey: 'seg' } }),
  'image.minMaxIntensity': () => ({ options: { keys: ['img'], outMin: -1, outMax: 1 } }),
  'image.normalizeIntensityPerMask': () => ({ options: { keys: ['img'], maskKey: 'seg', labels: [1, 2] } }),
  'image.threshold': () => ({ options: { keys: ['img'], above: 50 } }),
  'image.randFlip': () => ({ options: { keys: spatialKeys, prob: 1, axes: [0] } }),
  'image.randRotate90': () => ({ options: { keys: spatialKeys, prob: 1, axes: [0, 2] } }),
  'image.randAffine': () => ({ options: { keys: spatialKeys, prob: 1, rotateRange: 0.3, scaleRange: 0.1, interpolation: ['linear', 'nearest'] } }),
  'image.randElastic': () => ({ options: { keys: spatialKeys, prob: 1, controlSpacing: 3, interpolation: ['linear', 'nearest'] } }),
  'image.randGaussianNoise': () => ({ options: { keys: ['img'], prob: 1, std: 0.5 } }),
  'image.randGaussianBlur': () => ({ options: { keys: ['img'], prob: 1, sigmaRange: [0.5, 1] } }),
  'image.randGamma': () => ({ options: { keys: ['img'], prob: 1, gammaRange: [0.7, 1.5] } }),
  'image.randScaleIntensity': () => ({ options: { keys: ['img'], prob: 1, factors: 0.1 } }),
  'image.randShiftIntensity': () => ({ options: { keys: ['img'], prob: 1, offsets: 0.1 } }),
  'image.randCrop': () => ({ options: { keys: spatialKeys, size: [5, 4, 3] } }),
};

let pool: Piscina | undefined;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fuseflow-registry-'));
  csvFile = join(dir, 'rows.csv');
  writeFileSync(csvFile, 'id,age\ncase0,61\ncase1,70\n');
  for (const file of opFiles()) await import(pathToFileURL(file).href);
  const { filename, execArgv } = workerEntry(new URL('../../src/workers/worker-runner.ts', import.meta.url).href, './runner-worker');
  pool = new Piscina({ filename, execArgv: [...execArgv], name: 'runTask', minThreads: 1, maxThreads: 1 });
});
afterAll(async () => {
  await pool?.destroy();
});

const builtin = (): string[] => registeredOps().filter((n) => (BUILTIN_FAMILIES as readonly string[]).includes(n.split('.')[0] ?? ''));

describe('every registered op runs on a worker thread', () => {
  it('the op files found under src/ops register ops of the built-in families only, and every one has an example', () => {
    const names = builtin();
    expect(names.length).toBeGreaterThanOrEqual(49);
    expect(registeredOps().filter((n) => !names.includes(n))).toEqual([]);
    expect(names.filter((n) => EXAMPLES[n] === undefined)).toEqual([]); // a new op needs an example here
    expect(Object.keys(EXAMPLES).filter((n) => !names.includes(n))).toEqual([]);
  });

  it('each op gives the in-thread output bit for bit on a worker (which loads src/ops/builtin-ops only)', async () => {
    const failures: string[] = [];
    const run = { seed: 11, epoch: 1 };
    for (const name of builtin()) {
      const example = EXAMPLES[name];
      if (example === undefined) continue;
      const { options, worker } = example();
      const version = createOp({ name, version: registeredVersion(name), options }).version;
      const spec: PipelineSpec = { name: 'rt', opIndexBase: 2, ops: [{ name, version, options }] };
      const want = await runPipeline(pipelineFromSpec(spec), baseSample(), run);
      if (worker === 'refused') {
        expect(() => createWorkerRunner({ pipeline: spec, threads: 1 }), name).toThrow(/meta.lambda.*holds a function in option 'fn', which cannot cross to a worker thread/);
        continue;
      }
      const task: RunnerTask = { spec, samples: [baseSample()], run, progress: progressBuffer(), sentAt: Date.now(), onError: 'stop' };
      const [result] = (await (pool as Piscina).run(task)) as RunnerResult[];
      if (result === undefined || !('outputs' in result)) failures.push(`${name}: ${result === undefined ? 'no result' : result.error.message}`);
      else if (fingerprint(result.outputs) !== fingerprint(want)) failures.push(`${name}: worker output differs from in-thread output`);
    }
    expect(failures).toEqual([]);
  });
});

/** The registered version of `name` (read back through a spec with a wrong version). */
function registeredVersion(name: string): number {
  try {
    createOp({ name, version: -1, options: {} });
  } catch (err) {
    const m = /registered op is version (\d+)/.exec(String(err));
    if (m !== null) return Number(m[1]);
  }
  throw new Error(`cannot read the version of '${name}'`);
}
