/**
 * The KNIGHT data set (ISBI 2022 KNIGHT challenge: kidney CT + clinical data → AUA risk group),
 * in the layout of its official repository (github.com/neheller/KNIGHT, `knight/data/`):
 *
 * ```
 * <root>/knight.json                       clinical data of the 300 training cases (a JSON list)
 * <root>/case_00000/imaging.nii.gz         the case's CT (from knight/scripts/get_imaging.py)
 * <root>/case_00001/imaging.nii.gz …
 * ```
 * and the test layout (`layout: 'test'`): `<root>/features.json` and `<root>/images/<case>.nii.gz`.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, OptionsError } from '../../core/errors.js';
import type { Op } from '../../ops/op.js';
import { loadImage } from '../../ops/image/load-image.js';
import { cropOrPad } from '../../ops/image/crop-or-pad.js';
import { randAffine } from '../../ops/image/rand-affine.js';
import { randFlip } from '../../ops/image/rand-flip.js';
import { randGaussianNoise } from '../../ops/image/rand-gaussian-noise.js';
import { reorient, type Orientation } from '../../ops/image/reorient.js';
import { resample } from '../../ops/image/resample.js';
import { windowIntensity } from '../../ops/image/window-intensity.js';
import { antialias } from '../common/antialias.js';
import { CASE_ID, caseFolders, checkSizes, chooseIds } from '../common/builder-checks.js';
import type { DatasetBuild } from '../common/dataset-build.js';
import { idPath } from '../common/id-path.js';
import { datasetFolds, type BuilderFoldOptions } from '../common/dataset-folds.js';
import { requireFile } from '../common/require-file.js';
import { encodeKnightClinical, KNIGHT_TASK1_CLASSES, KNIGHT_TASK2_CLASSES, knightLabels, knightRecord, readKnightJson } from './knight-clinical-data.js';
import { knightClinical } from './knight-clinical.js';

/** Hounsfield-unit normalisation: clip to [min, max], then (x - mean) / std. */
export interface HuNormalization {
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly std: number;
}

/** Columns KNIGHT's folds can balance on: the task's label, and sex (`gender` in the JSON). */
export type KnightBalanceKey = 'label' | 'sex';

/**
 * Options of {@link knight}. Folds (`folds`, default 5; `seed`, default 0; `balance`, default
 * `['label']`, may add `'sex'`; `foldFile`) are grouped by case, see {@link BuilderFoldOptions}.
 */
export interface KnightOptions extends BuilderFoldOptions<KnightBalanceKey> {
  /** Folder holding `knight.json` and the `case_XXXXX/imaging.nii.gz` folders (or, for `layout: 'test'`, `features.json` and `images/`). Required. */
  readonly root: string;
  /** `'train'` (default): labelled cases; `'test'`: the challenge's test layout, no labels, no folds. */
  readonly layout?: 'train' | 'test';
  /** Task whose label is `labelKey` and balances the folds: 1 (NoAT/CanAT, default) or 2 (B/LR/IR/HR/VHR). */
  readonly task?: 1 | 2;
  /** Use only these cases (e.g. a quick run). Default: every `case_*` folder that has an entry in the JSON. */
  readonly ids?: readonly string[];
  /** Orientation the CT is brought to before resampling. Default `'RAS'`. */
  readonly orientation?: Orientation;
  /** Target voxel size in mm (x, y, z). Default [1.6, 1.6, 4] (a 256×256×80 box covers 410×410×320 mm). */
  readonly spacing?: readonly [number, number, number];
  /** Output size in voxels (x, y, z), centre-cropped or zero-padded after normalisation. Default [256, 256, 80] (FuseMedML's baseline: 80×256×256). */
  readonly size?: readonly [number, number, number];
  /** HU normalisation. Default FuseMedML's KiTS values: clip to [-62, 301], mean 104, std 75.3. */
  readonly hu?: HuNormalization;
  /** Training augmentation in `dynamicPipeline`. Default true. */
  readonly augment?: boolean;
}

/** What {@link knight} returns: a {@link DatasetBuild} plus the KNIGHT file it read. */
export interface KnightBuild extends DatasetBuild {
  /** The clinical JSON (`knight.json` or `features.json`). */
  readonly clinicalFile: string;
  /** Labels of both tasks (same order as `ids`); empty for the test layout. */
  readonly task1: readonly number[];
  readonly task2: readonly number[];
  /** Sex of each case (same order as `ids`): `'male'`, `'female'`, or `'unknown'` when the JSON's `gender` is null. */
  readonly sex: readonly KnightSex[];
  /** Size of the clinical vector at `data.input.clinical.all` (11). */
  readonly clinicalFeatures: number;
}

const XYZ = ['x', 'y', 'z'];

/** A case's sex as {@link KnightBuild} reports it. */
export type KnightSex = 'male' | 'female' | 'unknown';

/**
 * Builds the KNIGHT data set: ids, the static pipeline (case id → path, clinical features and
 * labels from the JSON, load the CT, reorient, smooth and resample to `spacing`, clip and z-score the HU,
 * crop/pad to `size`), the training augmentation and folds.
 *
 * Every sample holds `data.input.img` (float32 Image, shape [z, y, x] = `size` reversed),
 * `data.input.clinical.all` (float32 [11], FuseMedML's baseline encoding; see
 * `encodeKnightClinical`), `data.input.case_id` and, for training cases,
 * `data.gt.gt_global.task_1_label` and `data.gt.gt_global.task_2_label`.
 *
 * The augmentation follows FuseMedML's KNIGHT pipeline with fuseflow's ops: a small 3D rotation
 * (±5° about each axis, p = 0.5); an in-plane affine (rotation ±180°, scale ±20%, shift ±15
 * voxels, p = 0.5); an in-plane flip (p = 0.5); Gaussian noise (std 0.01, p = 0.3).
 *
 * The JSON is read and every case's fields are checked here, so a malformed value fails before
 * any image is loaded. A case folder without a JSON entry is left out only when `ids` is not
 * given and is reported in the error if named in `ids`.
 * @example
 * const k = knight({ root: '/data/KNIGHT/knight/data' });
 * const ds = dataset({ ids: k.folds.slice(1).flat(), staticPipeline: k.staticPipeline, dynamicPipeline: k.dynamicPipeline, store: cache });
 * @throws {OptionsError} for a bad option.
 * @throws {InputError} naming the file, case and key for a missing folder, JSON file or image,
 *   or a malformed JSON value.
 */
export function knight(options: KnightOptions): KnightBuild {
  const { root } = options;
  if (typeof root !== 'string' || root.length === 0) throw new OptionsError("knight: option 'root' must be the data folder");
  const layout = options.layout ?? 'train';
  if (layout !== 'train' && layout !== 'test') throw new OptionsError(`knight: option 'layout' must be 'train' or 'test', got ${JSON.stringify(layout)}`);
  const task = options.task ?? 1;
  if (task !== 1 && task !== 2) throw new OptionsError(`knight: option 'task' must be 1 or 2, got ${JSON.stringify(task)}`);
  const spacing = options.spacing ?? [1.6, 1.6, 4];
  const size = options.size ?? [256, 256, 80];
  checkSizes('knight', 'spacing', spacing, XYZ, false);
  checkSizes('knight', 'size', size, XYZ, true);
  const hu = options.hu ?? { min: -62, max: 301, mean: 104, std: 75.3 };
  if (![hu.min, hu.max, hu.mean, hu.std].every((x) => typeof x === 'number' && Number.isFinite(x)) || !(hu.max > hu.min) || !(hu.std > 0)) {
    throw new OptionsError(`knight: option 'hu' needs finite min < max, mean and std > 0, got ${JSON.stringify(hu)}`);
  }

  const test = layout === 'test';
  requireFile(root, 'the KNIGHT data folder', 'folder');
  const clinicalFile = join(root, test ? 'features.json' : 'knight.json');
  requireFile(clinicalFile, test ? 'the KNIGHT test features (features.json)' : 'the KNIGHT clinical data (knight.json)');
  const table = readKnightJson(clinicalFile);
  const template = test ? 'images/{id}.nii.gz' : '{id}/imaging.nii.gz';
  if (test) requireFile(join(root, 'images'), 'the KNIGHT test CTs (images/case_XXXXX.nii.gz)', 'folder');
  const onDisk = test ? readdirSync(join(root, 'images')).flatMap((f) => (f.endsWith('.nii.gz') && CASE_ID.test(f.slice(0, -7)) ? [f.slice(0, -7)] : [])) : caseFolders(root);
  const ids = chooseIds({
    builder: 'knight',
    asked: options.ids,
    found: onDisk,
    known: table,
    noun: 'a case',
    none: () => new InputError(`no cases found: expected ${test ? 'images/case_XXXXX.nii.gz files' : 'case_XXXXX folders'} with entries in ${clinicalFile}`, { file: root }),
  });

  const task1: number[] = [];
  const task2: number[] = [];
  const sex: KnightSex[] = [];
  for (const id of ids) {
    const record = knightRecord(table, id, clinicalFile);
    encodeKnightClinical(record, clinicalFile, id); // every field checked now, before any image is read
    const gender = record['gender'];
    sex.push(typeof gender === 'string' ? (gender.toLowerCase() as KnightSex) : 'unknown'); // checked above: male, female or null
    requireFile(join(root, template.replace('{id}', id)), `the CT of case '${id}'`);
    if (!test) {
      const l = knightLabels(record, clinicalFile, id);
      task1.push(l.task1);
      task2.push(l.task2);
    }
  }
  const labels = task === 1 ? task1 : task2;

  const img = 'data.input.img';
  const staticPipeline: Op<object>[] = [
    idPath({ outKey: 'data.input.img_path', template }),
    knightClinical({ file: clinicalFile, labels: !test }),
    loadImage({ key: 'data.input.img_path', outKey: img, dir: root }),
    reorient({ keys: [img], orientation: options.orientation ?? 'RAS' }),
    antialias({ keys: [img], spacing: [...spacing] }), // thin slices merged into thick ones are smoothed first, not skipped
    resample({ keys: [img], spacing: [...spacing] }),
    // clip to [min, max] and z-score in one linear map: [min, max] → [(min - mean) / std, (max - mean) / std]
    windowIntensity({ keys: [img], level: (hu.min + hu.max) / 2, width: hu.max - hu.min, outMin: (hu.min - hu.mean) / hu.std, outMax: (hu.max - hu.mean) / hu.std }),
    cropOrPad({ keys: [img], size: [...size], padValue: (hu.min - hu.mean) / hu.std }),
  ];
  const deg = Math.PI / 180;
  const dynamicPipeline: Op<object>[] =
    options.augment === false
      ? []
      : [
          randAffine({ keys: [img], prob: 0.5, rotateRange: 5 * deg, padding: 'border' }),
          randAffine({ keys: [img], prob: 0.5, rotateRange: [0, 0, 180 * deg], scaleRange: [0.2, 0.2, 0], translateRange: [15, 15, 0], padding: 'border' }),
          randFlip({ keys: [img], prob: 0.5, axes: [0, 1] }),
          randGaussianNoise({ keys: [img], prob: 0.3, std: 0.01 }),
        ];
  const split = test ? undefined : datasetFolds('knight', options, { ids, columns: { label: labels, sex }, groups: ids });
  return {
    ids,
    staticPipeline,
    dynamicPipeline,
    labels: test ? [] : labels,
    labelKey: `data.gt.gt_global.task_${task}_label`,
    classNames: task === 1 ? [...KNIGHT_TASK1_CLASSES] : [...KNIGHT_TASK2_CLASSES],
    folds: split?.folds ?? [],
    foldPlan: split?.foldPlan ?? null,
    foldSource: split?.foldSource ?? null,
    files: [clinicalFile],
    clinicalFile,
    task1,
    task2,
    sex,
    clinicalFeatures: 11,
  };
}
