/**
 * `fuseflow predict INPUT... --checkpoint FILE --out DIR`: runs a segmentation checkpoint over
 * whole volumes by sliding-window inference and writes one prediction per input, on the input's
 * own grid (size, spacing, origin, direction), into DIR.
 *
 * Preprocessing comes from the user, not from the checkpoint (which records the model only): the
 * flags --orientation, --spacing, --intensity and --size build the static pipeline (load →
 * reorient → resample → intensity → crop/pad, in that order), or --pipeline MODULE names an ES
 * module whose `staticPipeline` export (a pipeline or an array of ops) runs after the load on the
 * key `data.input.img`. The same preprocessing the model was trained with must be given; its
 * reversible ops (reorient, resample, crop/pad, crop to mask) are undone on the prediction.
 *
 * Outputs are named after their inputs so that ground truth pairs with them by file name:
 * `DIR/<input name>` in the input's format (.nii, .nii.gz, .nrrd, .mha; other inputs give
 * .nii.gz), or the format --format names. DIR may not be a folder an input lies in (inputs are
 * never replaced), two inputs of the same name are refused, and an existing output is refused
 * unless --overwrite — all checked before any volume is read. Outputs are never written through
 * symbolic links.
 */
import { mkdirSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InputError, OptionsError } from '../../core/errors.js';
import { parseOrExit } from './parse-or-exit.js';
import { splitFlags } from './split-flags.js';
import { checkOutputTarget } from '../../core/safe-fs.js';
import { createSample, setKey } from '../../core/sample.js';
import type { Op } from '../../ops/op.js';
import { pipeline, type Pipeline } from '../../ops/pipeline.js';
import { cropOrPad } from '../../ops/image/crop-or-pad.js';
import { extensionOf, ioForPath } from '../../ops/image/io/image-formats.js';
import { closeIoPool } from '../../ops/image/io/io-pool.js';
import { writeImage } from '../../ops/image/io/write-image.js';
import { loadImage } from '../../ops/image/load-image.js';
import { minMaxIntensity } from '../../ops/image/min-max-intensity.js';
import { reorient, type Orientation } from '../../ops/image/reorient.js';
import { resample } from '../../ops/image/resample.js';
import { zScoreIntensity } from '../../ops/image/z-score-intensity.js';
import { useBackend, type BackendName } from '../../trainer/backend.js';
import { loadModel } from '../../trainer/checkpoint.js';
import type { BlendMode } from '../../trainer/inference/importance-map.js';
import { dictModelPredictor, modelWindow } from '../../trainer/inference/model-predictor.js';
import { predictVolume } from '../../trainer/inference/predict-volume.js';
import { flipTta } from '../../trainer/inference/tta.js';

const USAGE = `usage: fuseflow predict INPUT... --checkpoint FILE --out DIR [options]

Runs a segmentation checkpoint over whole volumes (sliding window) and writes one prediction per
input into DIR, on the input's grid (size, spacing, origin, direction), named like the input
(DIR/<input name>, so ground truth pairs with it by name). INPUT: image files (.nii, .nii.gz,
.nrrd, .nhdr, .mha, .mhd, .mgh, .mgz) or folders (each such file directly inside).
DIR may not hold an input; an existing output is refused unless --overwrite.

  --checkpoint FILE   model checkpoint (fuseflow train/fit .ckpt)
  --out DIR           output folder (created)
  --output KIND       labels (argmax of the class scores, uint8; default) or probabilities
                      (float32, one component per class)
  --roi X,Y,Z         window size in voxels (default: the model's input size)
  --overlap F         fraction shared by neighbouring windows, in [0, 1) (default 0.25)
  --blend MODE        constant | gaussian (default constant)
  --batch N           windows per model call (default 1)
  --tta-flips LIST    test-time flips, e.g. x,y,z or x,xyz: each group of axes flipped together;
                      predictions are flipped back and averaged with the unflipped one
  --output-key KEY    model output to use (default: its first model.output.* key)
  --format EXT        nii.gz | nii | nrrd | mha (default: the input's, else nii.gz)
  --overwrite         replace existing outputs in DIR
  --backend NAME      tensorflow | webgpu | wasm | cpu (default: automatic; webgpu only by name)
Preprocessing (the model's training preprocessing; reversed on the prediction):
  --orientation O     reorient to RAS or LPS first
  --spacing S         resample (linear) to S mm, or SX,SY,SZ
  --intensity M       none | zscore | minmax (default none)
  --size X,Y,Z        crop or pad (centred) to this size, last
  --pipeline MODULE   instead of the four flags: an ES module exporting staticPipeline (a
                      pipeline or an array of ops) run after the image is loaded at data.input.img`;

const VALUED = new Set([
  'checkpoint',
  'out',
  'output',
  'roi',
  'overlap',
  'blend',
  'batch',
  'tta-flips',
  'output-key',
  'format',
  'backend',
  'orientation',
  'spacing',
  'intensity',
  'size',
  'pipeline',
]);
const SWITCHES = new Set(['overwrite']);
const KEY = 'data.input.img';
const INPUT_EXT = ['.nii', '.nii.gz', '.nrrd', '.nhdr', '.mha', '.mhd', '.mgh', '.mgz'];
const OUTPUT_EXT: Readonly<Record<string, string>> = { 'nii.gz': '.nii.gz', nii: '.nii', nrrd: '.nrrd', mha: '.mha' };

interface Args {
  readonly inputs: readonly string[];
  readonly flags: ReadonlyMap<string, string>;
  readonly overwrite: boolean;
}

function parse(args: readonly string[]): Args {
  const { positional: inputs, flags, switches } = splitFlags(args, { valued: VALUED, switches: SWITCHES });
  if (inputs.length === 0) throw new OptionsError('name at least one INPUT file or folder');
  for (const required of ['checkpoint', 'out']) if (!flags.has(required)) throw new OptionsError(`--${required} is required`);
  return { inputs, flags, overwrite: switches.has('overwrite') };
}

function numbers(flag: string, raw: string, integer: boolean): number[] {
  const v = raw.split(',').map(Number);
  if (v.length < 1 || v.length > 3 || !v.every((x) => Number.isFinite(x) && x > 0 && (!integer || Number.isInteger(x)))) {
    throw new OptionsError(`--${flag} must be 1 to 3 comma-separated positive ${integer ? 'integers' : 'numbers'}, got '${raw}'`);
  }
  return v;
}

function oneOf<T extends string>(flags: ReadonlyMap<string, string>, name: string, allowed: readonly T[], fallback: T): T {
  const raw = flags.get(name) ?? fallback;
  if (!(allowed as readonly string[]).includes(raw)) throw new OptionsError(`--${name} must be one of ${allowed.join(', ')}, got '${raw}'`);
  return raw as T;
}

/** Image files named by the inputs: files as given, folders expanded to their image files (sorted). */
function inputFiles(inputs: readonly string[]): string[] {
  const files: string[] = [];
  for (const input of inputs) {
    let st;
    try {
      st = statSync(input);
    } catch (err) {
      throw new InputError(`cannot read input: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (err as Error).message}`, { file: input });
    }
    if (!st.isDirectory()) {
      files.push(input);
      continue;
    }
    const inside = readdirSync(input)
      .filter((f) => !f.startsWith('.') && INPUT_EXT.some((e) => f.toLowerCase().endsWith(e)))
      .sort()
      .map((f) => join(input, f));
    if (inside.length === 0) throw new InputError(`the folder holds no image file (${INPUT_EXT.join(', ')})`, { file: input });
    files.push(...inside);
  }
  return files;
}

/** The output path of each input, checked: no name twice, DIR not an input's folder, no existing output unless overwrite. */
function outputPaths(files: readonly string[], out: string, format: string | undefined, overwrite: boolean): string[] {
  const outDir = resolve(out);
  const realOut = (() => {
    try {
      return realpathSync(outDir);
    } catch {
      return outDir;
    }
  })();
  const seen = new Map<string, string>();
  return files.map((file) => {
    const folder = realpathSync(dirname(resolve(file)));
    if (folder === realOut) throw new OptionsError(`--out ${out} is the folder of input ${file}; predictions are never written beside their inputs (choose another --out)`);
    const ext = extensionOf(file);
    const stem = basename(file).slice(0, basename(file).length - ext.length);
    const outExt = format !== undefined ? (OUTPUT_EXT[format] as string) : ['.nii', '.nii.gz', '.nrrd', '.mha'].includes(ext) ? ext : '.nii.gz';
    const target = join(outDir, `${stem}${outExt}`);
    const other = seen.get(target);
    if (other !== undefined) throw new OptionsError(`inputs ${other} and ${file} would both be written to ${target}; predict them into different --out folders`);
    seen.set(target, file);
    checkOutputTarget(target, { overwrite });
    return target;
  });
}

async function staticPipeline(flags: ReadonlyMap<string, string>): Promise<Pipeline> {
  const load = loadImage({ key: KEY });
  const module = flags.get('pipeline');
  if (module !== undefined) {
    for (const f of ['orientation', 'spacing', 'intensity', 'size'])
      if (flags.has(f)) throw new OptionsError(`--pipeline and --${f} exclude each other: put the ${f} op into the module`);
    let exported: unknown;
    try {
      exported = ((await import(pathToFileURL(resolve(module)).href)) as { staticPipeline?: unknown }).staticPipeline;
    } catch (err) {
      throw new InputError(`cannot load the pipeline module: ${(err as Error).message}`, { file: module });
    }
    const ops: unknown = Array.isArray(exported) ? exported : (exported as Partial<Pipeline> | undefined)?.ops;
    if (!Array.isArray(ops) || !ops.every((op: unknown) => typeof (op as Partial<Op<object>> | null)?.apply === 'function')) {
      throw new InputError('the module exports no staticPipeline (a pipeline or an array of ops)', { file: module });
    }
    return pipeline([load, ...(ops as Op<object>[])], { name: 'static' });
  }
  const ops: Op<object>[] = [load];
  const orientation = flags.get('orientation');
  if (orientation !== undefined) ops.push(reorient({ keys: [KEY], orientation: oneOf(flags, 'orientation', ['RAS', 'LPS'] as Orientation[], 'RAS') }));
  const spacing = flags.get('spacing');
  if (spacing !== undefined) {
    const s = numbers('spacing', spacing, false);
    ops.push(resample({ keys: [KEY], spacing: s.length === 1 ? (s[0] as number) : s }));
  }
  const intensity = oneOf(flags, 'intensity', ['none', 'zscore', 'minmax'], 'none');
  if (intensity === 'zscore') ops.push(zScoreIntensity({ keys: [KEY] }));
  if (intensity === 'minmax') ops.push(minMaxIntensity({ keys: [KEY] }));
  const size = flags.get('size');
  if (size !== undefined) ops.push(cropOrPad({ keys: [KEY], size: numbers('size', size, true) }));
  return pipeline(ops, { name: 'static' });
}

function ttaFlips(raw: string): number[][] {
  return raw.split(',').map((group) => {
    const axes = [...group].map((c) => 'xyz'.indexOf(c));
    if (group.length === 0 || axes.some((a) => a < 0) || new Set(axes).size !== axes.length)
      throw new OptionsError(`--tta-flips groups are letters among x, y, z (e.g. x,y,xyz), got '${raw}'`);
    return axes;
  });
}

/** Runs the command; returns the exit code (0 ok, 2 usage). Bad input throws (exit 1 with the message). */
export async function run(args: readonly string[]): Promise<number> {
  const parsed = parseOrExit(args, { command: 'predict', usage: USAGE, parse });
  if ('exit' in parsed) return parsed.exit;
  const a = parsed.args;
  const { flags } = a;
  const output = oneOf(flags, 'output', ['labels', 'probabilities'], 'labels');
  const blend = oneOf<BlendMode>(flags, 'blend', ['constant', 'gaussian'], 'constant');
  const formatFlag = flags.get('format');
  const format = formatFlag === undefined ? undefined : oneOf(flags, 'format', Object.keys(OUTPUT_EXT), 'nii.gz');
  const backend = flags.get('backend') === undefined ? undefined : oneOf<BackendName>(flags, 'backend', ['tensorflow', 'webgpu', 'wasm', 'cpu'], 'cpu');
  const overlap = Number(flags.get('overlap') ?? '0.25');
  if (!(overlap >= 0 && overlap < 1)) throw new OptionsError(`--overlap must be a number in [0, 1), got '${flags.get('overlap')}'`);
  const batchRaw = flags.get('batch') ?? '1';
  const batchSize = Number(batchRaw);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new OptionsError(`--batch must be a positive integer, got '${batchRaw}'`);
  const flips = flags.get('tta-flips') === undefined ? [] : ttaFlips(flags.get('tta-flips') as string);
  const roiFlag = flags.get('roi');
  const files = inputFiles(a.inputs);
  for (const f of files) if (ioForPath(f) === undefined) throw new InputError(`not an image file fuseflow reads (${INPUT_EXT.join(', ')})`, { file: f });
  const targets = outputPaths(files, flags.get('out') as string, format, a.overwrite);
  const p = await staticPipeline(flags);

  await useBackend(backend);
  const checkpoint = flags.get('checkpoint') as string;
  const model = await loadModel(checkpoint);
  try {
    const fixed = modelWindow(model);
    const roi = roiFlag === undefined ? fixed : numbers('roi', roiFlag, true);
    if (roi === undefined) throw new OptionsError(`the model's input shape [${model.binding.inputs[0]?.shape.join(', ') ?? ''}] gives no window size; name one with --roi X,Y,Z`);
    if (fixed !== undefined && roi.join(',') !== fixed.join(',')) throw new OptionsError(`--roi ${roi.join(',')} differs from the model's input size ${fixed.join(',')} (x, y, z)`);
    const base = dictModelPredictor(model, flags.has('output-key') ? { output: flags.get('output-key') as string } : {});
    const predictor = flips.length === 0 ? base : flipTta(base, { flips });
    mkdirSync(resolve(flags.get('out') as string), { recursive: true });
    for (let i = 0; i < files.length; i++) {
      const file = files[i] as string;
      const target = targets[i] as string;
      const t0 = performance.now();
      let windows = 0;
      const { prediction } = await predictVolume(setKey(createSample(basename(file)), KEY, resolve(file)), {
        pipeline: p,
        imageKey: KEY,
        predictor,
        output,
        window: { roi, overlap, blend, batchSize, onProgress: (pr) => (windows = pr.total) },
      });
      checkOutputTarget(target, { overwrite: a.overwrite });
      await writeImage(prediction, target);
      const size = [...prediction.shape].slice(0, prediction.dimension).reverse().join('×');
      console.log(
        `${file} → ${target} (${output}, ${size}, ${windows} windows${flips.length > 0 ? ` × ${flips.length + 1} flips` : ''}, ${((performance.now() - t0) / 1000).toFixed(1)} s)`,
      );
    }
  } finally {
    model.net.dispose();
    await closeIoPool();
  }
  return 0;
}
