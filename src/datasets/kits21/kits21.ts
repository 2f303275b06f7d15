/**
 * The KiTS21 data set (2021 Kidney and Kidney Tumor Segmentation Challenge: contrast-enhanced
 * abdominal CT with kidney, tumor and cyst labels), in the layout of its official repository
 * (github.com/neheller/kits21, `kits21/data/`):
 *
 * ```
 * <root>/kits.json                                clinical data (a JSON list of case records)
 * <root>/case_00000/imaging.nii.gz                the CT in HU (from kits21/data/get_imaging.py)
 * <root>/case_00000/aggregated_MAJ_seg.nii.gz     majority vote of the annotations (0 background, 1 kidney, 2 tumor, 3 cyst)
 * <root>/case_00000/aggregated_AND_seg.nii.gz, aggregated_OR_seg.nii.gz, segmentations/, raw/ (not read)
 * ```
 * and the KiTS19 layout (`<root>/case_00000/segmentation.nii.gz`, labels 0..2, with `kits.json`).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, OptionsError } from '../../core/errors.js';
import type { Op } from '../../ops/op.js';
import { cropOrPad } from '../../ops/image/crop-or-pad.js';
import { loadImage } from '../../ops/image/load-image.js';
import { randAffine } from '../../ops/image/rand-affine.js';
import { randFlip } from '../../ops/image/rand-flip.js';
import { randGamma } from '../../ops/image/rand-gamma.js';
import { randScaleIntensity } from '../../ops/image/rand-scale-intensity.js';
import { randShiftIntensity } from '../../ops/image/rand-shift-intensity.js';
import { reorient, type Orientation } from '../../ops/image/reorient.js';
import { resample } from '../../ops/image/resample.js';
import { windowIntensity } from '../../ops/image/window-intensity.js';
import { caseFolders, checkSizes, chooseIds } from '../common/builder-checks.js';
import type { DatasetBuild } from '../common/dataset-build.js';
import { idPath } from '../common/id-path.js';
import { datasetFolds, type BuilderFoldOptions } from '../common/dataset-folds.js';
import { requireFile } from '../common/require-file.js';
import { kits21CheckCase } from './check-case.js';
import { KITS21_MALIGNANCY_CLASSES, kits21Clinical, kits21ClinicalOp, readKits21Json } from './kits21-clinical.js';

/** Which segmentation file a case's labels come from. */
export type Kits21Segmentation = 'MAJ' | 'AND' | 'OR' | 'kits19';

/** The file of each {@link Kits21Segmentation}. */
export const KITS21_SEG_FILES: Readonly<Record<Kits21Segmentation, string>> = {
  MAJ: 'aggregated_MAJ_seg.nii.gz',
  AND: 'aggregated_AND_seg.nii.gz',
  OR: 'aggregated_OR_seg.nii.gz',
  kits19: 'segmentation.nii.gz',
};

/** Names of the segmentation labels, index = label value (KiTS19 has no cyst). */
export const KITS21_LABELS = ['background', 'kidney', 'tumor', 'cyst'] as const;

/** HU window: clipped to [min, max], then mapped linearly onto [outMin, outMax]. */
export interface Kits21Intensity {
  readonly min: number;
  readonly max: number;
  readonly outMin: number;
  readonly outMax: number;
}

/** Columns KiTS21's folds can balance on: `malignant` (the label), and sex (`gender`; `'unknown'` when null). */
export type Kits21BalanceKey = 'label' | 'sex';

/**
 * Options of {@link kits21}. Folds (`folds`, default 5; `seed`, default 0; `balance`, default
 * `['label']`, may add `'sex'`; `foldFile`) are grouped by case, see {@link BuilderFoldOptions}.
 */
export interface Kits21Options extends BuilderFoldOptions<Kits21BalanceKey> {
  /** Folder holding `kits.json` and the `case_XXXXX` folders (the repository's `kits21/data`). Required. */
  readonly root: string;
  /**
   * Segmentation file: `'MAJ'`, `'AND'`, `'OR'` (KiTS21's `aggregated_<X>_seg.nii.gz`) or `'kits19'`
   * (`segmentation.nii.gz`). Default: `'MAJ'` when the first case has it, else `'kits19'` when it has
   * `segmentation.nii.gz`.
   */
  readonly segmentation?: Kits21Segmentation;
  /** Use only these cases. Default: every `case_*` folder with a record in `kits.json`. */
  readonly ids?: readonly string[];
  /** Orientation both volumes are brought to. Default `'RAS'`. */
  readonly orientation?: Orientation;
  /** Target voxel size in mm (x, y, z); the CT is resampled linearly, the segmentation by nearest neighbour. Default [1.6, 1.6, 3]. */
  readonly spacing?: readonly [number, number, number];
  /** Output size in voxels (x, y, z), centre-cropped or padded (CT with `outMin`, segmentation with 0). Default [256, 256, 128]. */
  readonly size?: readonly [number, number, number];
  /** HU window. Default FuseMedML's KiTS21 pipeline: clip to [-500, 500] HU, map to [0, 1]. */
  readonly intensity?: Kits21Intensity;
  /** Training augmentation in `dynamicPipeline`. Default true. */
  readonly augment?: boolean;
}

/** What {@link kits21} returns: a {@link DatasetBuild} plus KiTS21's specifics. */
export interface Kits21Build extends DatasetBuild {
  /** `kits.json`. */
  readonly clinicalFile: string;
  /** The segmentation file name each case has. */
  readonly segmentationFile: string;
  /** Label names of the segmentation (index = value): 4 for KiTS21, 3 for KiTS19. */
  readonly segLabels: readonly string[];
  /** Keys of the CT and its segmentation in every sample. */
  readonly imageKey: string;
  readonly segKey: string;
}

const XYZ = ['x', 'y', 'z'];

function pickSegmentation(root: string, ids: readonly string[], asked: Kits21Segmentation | undefined): Kits21Segmentation {
  if (asked !== undefined) {
    if (!(asked in KITS21_SEG_FILES))
      throw new OptionsError(`kits21: option 'segmentation' must be one of ${Object.keys(KITS21_SEG_FILES).join(', ')}, got ${JSON.stringify(asked)}`);
    return asked;
  }
  const first = ids[0] as string;
  if (existsSync(join(root, first, KITS21_SEG_FILES.MAJ))) return 'MAJ';
  if (existsSync(join(root, first, KITS21_SEG_FILES.kits19))) return 'kits19';
  throw new InputError(`case '${first}' has neither ${KITS21_SEG_FILES.MAJ} (KiTS21) nor ${KITS21_SEG_FILES.kits19} (KiTS19)`, { file: join(root, first) });
}

/**
 * Builds KiTS21 for 3D segmentation: ids, the static pipeline (case id → paths, clinical fields
 * from `kits.json`, load CT and segmentation, check they share one grid and hold KiTS labels,
 * reorient, resample — CT linear, segmentation nearest — clip and map the HU, crop/pad both to
 * `size`), the training augmentation and folds.
 *
 * Every sample holds `data.input.img` (float32 Image, shape [z, y, x] = `size` reversed, values in
 * [outMin, outMax]), `data.gt.seg` (the label map on the same grid, the file's integer dtype),
 * `data.input.img_path` / `data.gt.seg_path` (relative to `root`), `data.clinical.<field>`
 * (`KITS21_NUMBERS`, NaN when missing; `KITS21_TEXTS`, `''` when missing) and `data.gt.malignant`
 * (0/1, `labelKey`).
 *
 * The augmentation follows FuseMedML's KiTS21 pipeline with fuseflow's ops, one draw for CT and
 * segmentation (nearest neighbour for the labels): an in-plane affine (rotation ±180°, scale
 * ±20%, shift ±6% of `size`, FuseMedML's ±15 voxels of 256; p = 0.5), flips of each in-plane axis (p = 0.5 each), and on the CT
 * only gamma 0.8–1.2, contrast ×(0.9–1.1) and a shift of ±0.01 (p = 0.5 each).
 *
 * `kits.json` is read and every case's fields are checked here, and each case's two files must
 * exist, so a malformed value or a missing file fails before any volume is read.
 * @example
 * const k = kits21({ root: '/data/kits21/kits21/data', spacing: [2, 2, 3], size: [128, 128, 64] });
 * const ds = dataset({ ids: k.folds.slice(1).flat(), staticPipeline: k.staticPipeline, dynamicPipeline: k.dynamicPipeline, store: cache });
 * @throws {OptionsError} for a bad option.
 * @throws {InputError} naming the file, case and key: a missing folder, `kits.json`, CT or
 *   segmentation; a malformed `kits.json` value; a case named in `ids` without a record.
 */
export function kits21(options: Kits21Options): Kits21Build {
  const { root } = options;
  if (typeof root !== 'string' || root.length === 0) throw new OptionsError("kits21: option 'root' must be the data folder (the repository's kits21/data)");
  const spacing = options.spacing ?? [1.6, 1.6, 3];
  const size = options.size ?? [256, 256, 128];
  checkSizes('kits21', 'spacing', spacing, XYZ, false);
  checkSizes('kits21', 'size', size, XYZ, true);
  const hu = options.intensity ?? { min: -500, max: 500, outMin: 0, outMax: 1 };
  if (![hu.min, hu.max, hu.outMin, hu.outMax].every((x) => typeof x === 'number' && Number.isFinite(x)) || !(hu.max > hu.min) || !(hu.outMax > hu.outMin)) {
    throw new OptionsError(`kits21: option 'intensity' needs finite min < max and outMin < outMax, got ${JSON.stringify(hu)}`);
  }

  requireFile(root, 'the KiTS21 data folder (kits21/data)', 'folder');
  const clinicalFile = join(root, 'kits.json');
  requireFile(clinicalFile, 'the KiTS21 clinical data (kits.json)');
  const table = readKits21Json(clinicalFile);
  const ids = chooseIds({
    builder: 'kits21',
    asked: options.ids,
    found: caseFolders(root),
    known: table,
    noun: 'a case',
    none: () => new InputError(`no cases found: expected case_XXXXX folders with records in ${clinicalFile}`, { file: root }),
  });
  const segmentation = pickSegmentation(root, ids, options.segmentation);
  const segFile = KITS21_SEG_FILES[segmentation];

  const labels: number[] = [];
  const sex: string[] = [];
  for (const id of ids) {
    const record = table.get(id);
    if (record === undefined) throw new InputError(`no record with case_id '${id}'`, { file: clinicalFile });
    const c = kits21Clinical(record, clinicalFile, id); // every field checked now
    labels.push(c.malignant);
    sex.push(c.clinical['gender'] === '' ? 'unknown' : String(c.clinical['gender']).toLowerCase());
    requireFile(join(root, id, 'imaging.nii.gz'), `the CT of case '${id}'`);
    requireFile(join(root, id, segFile), `the segmentation of case '${id}' (${segmentation === 'kits19' ? 'KiTS19 layout' : `KiTS21 ${segmentation} aggregation`})`);
  }

  const img = 'data.input.img';
  const seg = 'data.gt.seg';
  const keys = [img, seg];
  const maxLabel = segmentation === 'kits19' ? 2 : 3;
  const staticPipeline: Op<object>[] = [
    idPath({ outKey: 'data.input.img_path', template: '{id}/imaging.nii.gz' }),
    idPath({ outKey: 'data.gt.seg_path', template: `{id}/${segFile}` }),
    kits21ClinicalOp({ file: clinicalFile }),
    loadImage({ key: 'data.input.img_path', outKey: img, dir: root }),
    loadImage({ key: 'data.gt.seg_path', outKey: seg, dir: root }),
    kits21CheckCase({ imageKey: img, segKey: seg, imagePathKey: 'data.input.img_path', segPathKey: 'data.gt.seg_path', maxLabel }),
    reorient({ keys, orientation: options.orientation ?? 'RAS' }),
    resample({ keys, spacing: [...spacing], interpolation: ['linear', 'nearest'] }),
    windowIntensity({ keys: [img], level: (hu.min + hu.max) / 2, width: hu.max - hu.min, outMin: hu.outMin, outMax: hu.outMax }),
    cropOrPad({ keys: [img], size: [...size], padValue: hu.outMin }),
    cropOrPad({ keys: [seg], size: [...size], padValue: 0 }),
  ];
  const deg = Math.PI / 180;
  const dynamicPipeline: Op<object>[] =
    options.augment === false
      ? []
      : [
          randAffine({
            keys,
            prob: 0.5,
            rotateRange: [0, 0, 180 * deg],
            scaleRange: [0.2, 0.2, 0],
            translateRange: [Math.round(0.06 * size[0]), Math.round(0.06 * size[1]), 0],
            interpolation: ['linear', 'nearest'],
            padValue: hu.outMin,
          }),
          randFlip({ keys, prob: 0.5, axes: [0] }),
          randFlip({ keys, prob: 0.5, axes: [1] }),
          randGamma({ keys: [img], prob: 0.5, gammaRange: [0.8, 1.2] }),
          randScaleIntensity({ keys: [img], prob: 0.5, factors: [-0.1, 0.1] }),
          randShiftIntensity({ keys: [img], prob: 0.5, offsets: 0.01 }),
        ];
  const split = datasetFolds('kits21', options, { ids, columns: { label: labels, sex }, groups: ids });
  return {
    ids,
    staticPipeline,
    dynamicPipeline,
    labels,
    labelKey: 'data.gt.malignant',
    classNames: [...KITS21_MALIGNANCY_CLASSES],
    ...split,
    files: [clinicalFile],
    clinicalFile,
    segmentationFile: segFile,
    segLabels: KITS21_LABELS.slice(0, maxLabel + 1),
    imageKey: img,
    segKey: seg,
  };
}
