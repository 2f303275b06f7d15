/**
 * The ISIC 2019 training set (dermoscopy, 9 diagnostic classes) in its published layout (the
 * challenge's three downloads, side by side):
 *
 * ```
 * <root>/ISIC_2019_Training_Input/ISIC_0000000.jpg …   (also ATTRIBUTION.txt, LICENSE.txt)
 * <root>/ISIC_2019_Training_GroundTruth.csv            image,MEL,NV,BCC,AK,BKL,DF,VASC,SCC,UNK
 * <root>/ISIC_2019_Training_Metadata.csv               image,age_approx,anatom_site_general,lesion_id,sex
 * ```
 * `<root>/ISIC2019/…` (FuseMedML's download folder) is found too.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, OptionsError } from '../../core/errors.js';
import { concat } from '../../ops/keys/concat.js';
import type { Op } from '../../ops/op.js';
import { loadImage } from '../../ops/image/load-image.js';
import { randAffine } from '../../ops/image/rand-affine.js';
import { randFlip } from '../../ops/image/rand-flip.js';
import { randGamma } from '../../ops/image/rand-gamma.js';
import { randGaussianNoise } from '../../ops/image/rand-gaussian-noise.js';
import { randScaleIntensity } from '../../ops/image/rand-scale-intensity.js';
import { randShiftIntensity } from '../../ops/image/rand-shift-intensity.js';
import { resample } from '../../ops/image/resample.js';
import { windowIntensity } from '../../ops/image/window-intensity.js';
import { checkSizes, chooseIds } from '../common/builder-checks.js';
import type { DatasetBuild } from '../common/dataset-build.js';
import { antialias } from '../common/antialias.js';
import { idPath } from '../common/id-path.js';
import { datasetFolds, type BuilderFoldOptions } from '../common/dataset-folds.js';
import { randOneHot } from '../common/rand-one-hot.js';
import { requireFile } from '../common/require-file.js';
import { isicMetadata } from './isic-metadata.js';
import { ISIC_CLASSES, ISIC_METADATA_FEATURES, readIsicGroundTruth, readIsicMetadata } from './isic-tables.js';

/** The three parts of the layout. */
export const ISIC_FILES = {
  images: 'ISIC_2019_Training_Input',
  groundTruth: 'ISIC_2019_Training_GroundTruth.csv',
  metadata: 'ISIC_2019_Training_Metadata.csv',
} as const;

/** Columns ISIC's folds can balance on: the diagnosis label, and the metadata's sex and anatomical site (`'N/A'` when missing). */
export type IsicBalanceKey = 'label' | 'sex' | 'site';

/**
 * Options of {@link isic}. Folds (`folds`, default 5; `seed`, default 0; `balance`, default
 * `['label']`, may add `'sex'`, `'site'`; `foldFile`) are grouped by lesion, see {@link BuilderFoldOptions}.
 */
export interface IsicOptions extends BuilderFoldOptions<IsicBalanceKey> {
  /** Folder holding the images folder and the two CSVs (or an `ISIC2019` folder that does). Required. */
  readonly root: string;
  /** Use only these images. Default: every row of the ground truth. */
  readonly ids?: readonly string[];
  /** Image size in pixels (width, height) after resizing (aspect ratio not kept, as FuseMedML). Default [300, 300]. */
  readonly size?: readonly [number, number];
  /** Training augmentation in `dynamicPipeline`. Default true. */
  readonly augment?: boolean;
}

/** What {@link isic} returns: a {@link DatasetBuild} plus the lesion of each image. */
export interface IsicBuild extends DatasetBuild {
  /** Lesion of each id (the folds' groups; the image id when the metadata leaves it empty). */
  readonly lesions: readonly string[];
  /** The folder the layout was found in. */
  readonly dataDir: string;
  /** Size of `data.input.clinical.all` (19). */
  readonly clinicalFeatures: number;
}

/** The folder holding the layout: `root` or `root/ISIC2019`. */
function layoutDir(root: string): string {
  requireFile(root, 'the ISIC 2019 data folder', 'folder');
  const nested = join(root, 'ISIC2019');
  return !existsSync(join(root, ISIC_FILES.groundTruth)) && existsSync(join(nested, ISIC_FILES.groundTruth)) ? nested : root;
}

/**
 * Builds ISIC 2019: ids (the ground truth's rows), the static pipeline (id → `<id>.jpg`, label
 * and metadata encodings, load the JPEG as an RGB image, smooth and resize to `size`, scale 0–255 to 0–1),
 * the training augmentation and folds grouped by `lesion_id`.
 *
 * Every sample holds `data.input.img` (float32 RGB Image, shape [height, width, 3], values in
 * [0, 1]), `data.label` (0–8: MEL, NV, BCC, AK, BKL, DF, VASC, SCC, UNK), the metadata encodings
 * `data.input.clinical.encoding.{site,sex,age}` and their concatenation `data.input.clinical.all`
 * (19 values; missing site, sex or age are their own one-hot position, see
 * `encodeIsicMetadata`) and `data.input.lesion_id`.
 *
 * UNK: the label has 9 classes so that a ground-truth row whose only 1 is in `UNK` keeps its
 * meaning (class 8). The published training ground truth has no such row (UNK is the test set's
 * "none of the above"), so a model trained on it never sees class 8; FuseMedML's builder drops
 * the column and trains 8 classes: use `classNames.slice(0, 8)` for the same head.
 *
 * The augmentation follows FuseMedML's ISIC pipeline with fuseflow's ops: an affine (rotation
 * ±180°, scale ±10%, shift ±1/6 of the size), a flip along each axis (p = 0.3 each), gamma
 * 0.9–1.1, brightness ±0.06 and contrast ±5% (shift and scale), Gaussian noise (std 0.03); and
 * on the metadata, sex set to N/A and age moved to a neighbouring bin, each with p = 0.05, then
 * `data.input.clinical.all` concatenated again.
 * @example
 * const b = isic({ root: '/data/isic2019', size: [224, 224] });
 * const train = dataset({ ids: b.folds.slice(1).flat(), staticPipeline: b.staticPipeline, dynamicPipeline: b.dynamicPipeline, store: cache });
 * @throws {OptionsError} for a bad option.
 * @throws {InputError} naming the file, line, image and column for a missing folder, CSV or
 *   image, or a malformed CSV row.
 */
export function isic(options: IsicOptions): IsicBuild {
  if (typeof options.root !== 'string' || options.root.length === 0) throw new OptionsError("isic: option 'root' must be the data folder");
  const size = options.size ?? [300, 300];
  checkSizes('isic', 'size', size, ['width', 'height'], true);
  const dir = layoutDir(options.root);
  const images = join(dir, ISIC_FILES.images);
  const groundTruthFile = join(dir, ISIC_FILES.groundTruth);
  const metadataFile = join(dir, ISIC_FILES.metadata);
  requireFile(images, `the ISIC 2019 images (${ISIC_FILES.images}/)`, 'folder');
  requireFile(groundTruthFile, `the ISIC 2019 ground truth (${ISIC_FILES.groundTruth})`);
  requireFile(metadataFile, `the ISIC 2019 metadata (${ISIC_FILES.metadata})`);
  const truth = readIsicGroundTruth(groundTruthFile);
  const meta = readIsicMetadata(metadataFile);

  const ids = chooseIds({
    builder: 'isic',
    asked: options.ids,
    found: truth.keys(),
    known: truth,
    noun: 'an image',
    none: () => new InputError('no images listed', { file: groundTruthFile }),
  });
  const labels: number[] = [];
  const lesions: string[] = [];
  const sex: string[] = [];
  const site: string[] = [];
  for (const id of ids) {
    const t = truth.get(id);
    if (t === undefined) throw new InputError(`image '${id}' has no row`, { file: groundTruthFile });
    const m = meta.get(id);
    if (m === undefined) throw new InputError(`image '${id}' has no row`, { file: metadataFile });
    requireFile(join(images, `${id}.jpg`), `the image of '${id}' (listed in ${ISIC_FILES.groundTruth} line ${t.line})`);
    labels.push(t.label);
    lesions.push(m.lesionId ?? id);
    sex.push(m.sex);
    site.push(m.site);
  }

  const img = 'data.input.img';
  const enc = 'data.input.clinical.encoding';
  const staticPipeline: Op<object>[] = [
    idPath({ outKey: 'data.input.img_path', template: '{id}.jpg' }),
    isicMetadata({ groundTruthFile, metadataFile }),
    loadImage({ key: 'data.input.img_path', outKey: img, dir: images }),
    antialias({ keys: [img], size: [...size] }), // as scikit-image's resize(anti_aliasing=True) in FuseMedML
    resample({ keys: [img], size: [...size] }),
    windowIntensity({ keys: [img], level: 127.5, width: 255 }), // 0..255 → 0..1
  ];
  const shift = Math.round(Math.min(...size) / 6); // FuseMedML: ±50 pixels at 300
  const dynamicPipeline: Op<object>[] =
    options.augment === false
      ? []
      : [
          randAffine({ keys: [img], prob: 1, rotateRange: Math.PI, scaleRange: 0.1, translateRange: shift, padding: 'constant', padValue: 0 }),
          randFlip({ keys: [img], prob: 0.3, axes: [0] }),
          randFlip({ keys: [img], prob: 0.3, axes: [1] }),
          randGamma({ keys: [img], prob: 1, gammaRange: [0.9, 1.1] }),
          randShiftIntensity({ keys: [img], prob: 1, offsets: 0.06 }),
          randScaleIntensity({ keys: [img], prob: 1, factors: 0.05 }),
          randGaussianNoise({ keys: [img], prob: 1, std: 0.03 }),
          // metadata: sex dropped to N/A, age moved to a neighbouring bin (never from or to "missing"), p = 0.05 each
          randOneHot({ key: `${enc}.sex`, mode: 'set', index: 2, prob: 0.05 }),
          randOneHot({ key: `${enc}.age`, mode: 'ranking', freeze: [6], prob: 0.05 }),
          concat({ keys: [`${enc}.site`, `${enc}.sex`, `${enc}.age`], outKey: 'data.input.clinical.all' }),
        ];
  const split = datasetFolds('isic', options, { ids, columns: { label: labels, sex, site }, groups: lesions });
  return {
    ids,
    staticPipeline,
    dynamicPipeline,
    labels,
    labelKey: 'data.label',
    classNames: [...ISIC_CLASSES],
    ...split,
    files: [groundTruthFile, metadataFile],
    lesions,
    dataDir: dir,
    clinicalFeatures: ISIC_METADATA_FEATURES,
  };
}
