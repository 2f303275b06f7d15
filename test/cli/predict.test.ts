import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../src/cli/commands/predict.js';
import { main } from '../../src/cli/main.js';
import { closeIoPool } from '../../src/ops/image/io/io-pool.js';
import { readImage } from '../../src/ops/image/io/read-image.js';
import { saveCheckpoint } from '../../src/trainer/checkpoint.js';
import { dictModel } from '../../src/trainer/models/dict-model.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const CHECK = join(FIXTURES, 'inference/check-written.py');
const dir = mkdtempSync(join(tmpdir(), 'ff-cli-predict-'));
const inputs = join(dir, 'inputs');
// anatomical.nii: 33×41×25 int16, 2 mm (nibabel's test data); a second copy checks folder input
const INPUT = join(inputs, 'anatomical.nii');
const THRESHOLD = 100;
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await closeIoPool();
});

/** A 16³ model of one 1×1×1 convolution: `filters` channels from kernel and bias, softmax when two. */
async function checkpoint(name: string, kernel: number[], bias: number[]): Promise<string> {
  const input = tf.input({ shape: [16, 16, 16, 1] });
  const conv = tf.layers.conv3d({ filters: bias.length, kernelSize: 1, name: `${name}_conv` });
  let y = conv.apply(input) as tf.SymbolicTensor;
  if (bias.length > 1) y = tf.layers.softmax({ axis: -1 }).apply(y) as tf.SymbolicTensor;
  const net = tf.model({ inputs: input, outputs: y });
  conv.setWeights([tf.tensor(kernel, [1, 1, 1, 1, bias.length]), tf.tensor(bias)]);
  const path = join(dir, `${name}.ckpt`);
  await saveCheckpoint(path, { model: dictModel(net, { inputs: [{ key: 'data.input.img', shape: [16, 16, 16, 1] }], outputs: ['model.output.seg'] }), trainState: {} });
  net.dispose();
  return path;
}

function nibabel(input: string, output: string, threshold?: number): Record<string, unknown> {
  try {
    return JSON.parse(execFileSync('/usr/bin/python3', [CHECK, input, output, ...(threshold === undefined ? [] : [String(threshold)])], { encoding: 'utf8' })) as Record<
      string,
      unknown
    >;
  } catch (err) {
    throw new Error(`the nibabel check needs /usr/bin/python3 with Debian's python3-nibabel (apt-get install python3-nibabel): ${(err as Error).message}`, { cause: err });
  }
}

async function quiet<T>(fn: () => Promise<T>): Promise<{ value: T; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((l: string) => void out.push(l));
  const error = vi.spyOn(console, 'error').mockImplementation((l: string) => void err.push(l));
  try {
    return { value: await fn(), out, err };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

let identity = '';
let twoClass = '';
beforeAll(async () => {
  mkdirSync(inputs);
  copyFileSync(join(FIXTURES, 'volumes/anatomical.nii'), INPUT);
  identity = await checkpoint('identity', [1], [0]);
  // logits (t − v, v − t): class 1 where v > t
  twoClass = await checkpoint('two', [-1, 1], [THRESHOLD, -THRESHOLD]);
});

// RAS + 1 mm (doubling: its reverse reads each voxel exactly) + pad to a multiple of the window
const PRE = ['--orientation', 'RAS', '--spacing', '1', '--size', '80,96,64'];

describe('fuseflow predict', () => {
  it('an identity checkpoint reproduces the input exactly (voxels and geometry), checked with nibabel and fuseflow reading the file back', async () => {
    const out = join(dir, 'identity');
    const { value, out: lines } = await quiet(() =>
      run([INPUT, '--checkpoint', identity, '--out', out, '--output', 'probabilities', '--overlap', '0.5', '--batch', '8', '--backend', 'cpu', ...PRE]),
    );
    expect(value).toBe(0);
    const written = join(out, 'anatomical.nii');
    expect(lines[0]).toContain(`→ ${written}`);
    const check = nibabel(INPUT, written);
    expect(check).toMatchObject({ inShape: [33, 41, 25], outShape: [33, 41, 25], voxelsEqual: true });
    expect(check['affineMaxDiff'] as number).toBeLessThan(1e-4); // float32 in the NIfTI header
    const [a, b] = [await readImage(INPUT), await readImage(written)];
    expect(b.dtype).toBe('float32');
    expect([...b.data]).toEqual([...a.data]);
    expect(b.spacing).toEqual(a.spacing);
    expect(b.direction).toEqual(a.direction);
    b.origin.forEach((v, i) => expect(v).toBeCloseTo(a.origin[i] as number, 4));
  });

  it('labels (argmax) in MHA from a folder input, Gaussian blend and flip TTA: geometry exact, labels = input > t', async () => {
    const out = join(dir, 'labels');
    const { value } = await quiet(() =>
      run([inputs, '--checkpoint', twoClass, '--out', out, '--format', 'mha', '--blend', 'gaussian', '--tta-flips', 'x,xyz', '--batch', '4', '--backend', 'cpu', ...PRE]),
    );
    expect(value).toBe(0);
    const [a, b] = [await readImage(INPUT), await readImage(join(out, 'anatomical.mha'))];
    expect(b.dtype).toBe('uint8');
    expect(b.shape).toEqual(a.shape);
    expect(b.spacing).toEqual(a.spacing);
    expect(b.origin).toEqual(a.origin);
    expect(b.direction).toEqual(a.direction);
    let wrong = 0;
    let ones = 0;
    a.data.forEach((v, i) => {
      const want = v > THRESHOLD ? 1 : 0;
      ones += want;
      wrong += b.data[i] === want ? 0 : 1;
    });
    expect(ones).toBeGreaterThan(100);
    expect(wrong).toBe(0);
  });

  it('labels as NIfTI through a --pipeline module: nibabel finds the input grid and input > t', async () => {
    const out = join(dir, 'module');
    const { value } = await quiet(() =>
      run([
        INPUT,
        '--checkpoint',
        twoClass,
        '--out',
        out,
        '--format',
        'nii.gz',
        '--roi',
        '16,16,16',
        '--pipeline',
        join(FIXTURES, 'inference/pipeline-module.ts'),
        '--backend',
        'cpu',
      ]),
    );
    expect(value).toBe(0);
    const check = nibabel(INPUT, join(out, 'anatomical.nii.gz'), THRESHOLD);
    expect(check).toMatchObject({ outShape: [33, 41, 25], outDtype: 'uint8', labelsWrong: 0 });
    expect(check['affineMaxDiff'] as number).toBeLessThan(1e-4);
  });

  it('refuses an existing output unless --overwrite, before reading anything; --overwrite replaces it', async () => {
    const out = join(dir, 'identity');
    const written = join(out, 'anatomical.nii');
    const before = statSync(written).mtimeMs;
    const { value, err } = await quiet(() => main(['predict', INPUT, '--checkpoint', identity, '--out', out, '--backend', 'cpu', ...PRE]));
    expect(value).toBe(1);
    expect(err.join('\n')).toMatch(/anatomical\.nii: already exists; refusing to overwrite/);
    expect(statSync(written).mtimeMs).toBe(before);
    const again = await quiet(() => run([INPUT, '--checkpoint', identity, '--out', out, '--output', 'labels', '--overwrite', '--backend', 'cpu', ...PRE]));
    expect(again.value).toBe(0);
    expect((await readImage(written)).dtype).toBe('uint8');
  });

  it('never writes into an input folder, refuses two inputs of one name, a window the model does not take, bad flags', async () => {
    const copy = join(dir, 'other');
    mkdirSync(copy);
    copyFileSync(INPUT, join(copy, 'anatomical.nii'));
    const cases: [string[], RegExp][] = [
      [[INPUT, '--out', inputs], /is the folder of input .*never written beside their inputs/],
      [[INPUT, join(copy, 'anatomical.nii'), '--out', join(dir, 'x')], /would both be written to/],
      [[INPUT, '--out', join(dir, 'x'), '--roi', '32,32,32'], /--roi 32,32,32 differs from the model's input size 16,16,16/],
      [[INPUT, '--out', join(dir, 'x'), '--blend', 'box'], /--blend must be one of constant, gaussian/],
      [[INPUT, '--out', join(dir, 'x'), '--tta-flips', 'xw'], /--tta-flips groups are letters/],
      [[join(dir, 'missing.nii'), '--out', join(dir, 'x')], /missing\.nii: cannot read input: no such file/],
      [[INPUT, '--out', join(dir, 'x'), '--pipeline', CHECK], /check-written\.py: cannot load the pipeline module/],
    ];
    for (const [args, message] of cases) {
      const { value, err } = await quiet(() => main(['predict', ...args, '--checkpoint', identity, '--backend', 'cpu']));
      expect(value, args.join(' ')).toBe(1);
      expect(err.join('\n')).toMatch(message);
    }
    expect(() => statSync(join(dir, 'x'))).toThrow(); // nothing was created
  });

  it('--help prints the usage, the command table lists predict, a missing --out exits 2', async () => {
    const help = await quiet(() => run(['--help']));
    expect(help.value).toBe(0);
    expect(help.out.join('\n')).toMatch(/--tta-flips LIST/);
    const top = await quiet(() => main(['--help']));
    expect(top.out.join('\n')).toMatch(/predict +run a checkpoint over whole volumes/);
    expect((await quiet(() => run([INPUT, '--checkpoint', identity]))).value).toBe(2);
  });
});

// keep the fixture untouched
afterAll(() => expect(readFileSync(join(FIXTURES, 'volumes/anatomical.nii')).length).toBe(68002));
