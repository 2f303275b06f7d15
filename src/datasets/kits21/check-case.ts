/**
 * The KiTS21 case check: the CT and its segmentation on one voxel grid, the segmentation a label
 * map of KiTS's classes. A segmentation on another grid (a file from another case, a resampled
 * copy) would otherwise be resampled onto the CT's physical space and train on misplaced labels.
 */
import { InputError, OptionsError, TypeMismatchError } from '../../core/errors.js';
import { imageSize, isImage, type Image } from '../../core/image.js';
import { getKey } from '../../core/sample.js';
import { defineOp } from '../../ops/registry.js';
import { checkKey } from '../../ops/validate.js';

/** Options of {@link kits21CheckCase}. */
export interface Kits21CheckCaseOptions {
  /** Key of the CT Image. */
  readonly imageKey: string;
  /** Key of the segmentation Image. */
  readonly segKey: string;
  /** Keys of the two files' paths, named in errors. */
  readonly imagePathKey: string;
  readonly segPathKey: string;
  /** Largest label value allowed (KiTS21: 3 = cyst; KiTS19: 2 = tumor). */
  readonly maxLabel: number;
}

/** Relative tolerance of spacing and origin, absolute of direction cosines (NIfTI stores float32). */
const TOLERANCE = 1e-5;

const NAME = 'kits21.kits21CheckCase';

function gridDifference(a: Image, b: Image): string | undefined {
  const close = (x: readonly number[], y: readonly number[], relative: boolean): boolean =>
    x.length === y.length && x.every((v, i) => Math.abs(v - (y[i] as number)) <= TOLERANCE * (relative ? Math.max(1, Math.abs(v)) : 1));
  const sa = imageSize(a);
  const sb = imageSize(b);
  if (!close(sa, sb, false)) return `size [${sa.join(', ')}] vs [${sb.join(', ')}]`;
  if (!close(a.spacing, b.spacing, true)) return `spacing [${a.spacing.join(', ')}] vs [${b.spacing.join(', ')}]`;
  if (!close(a.origin, b.origin, true)) return `origin [${a.origin.join(', ')}] vs [${b.origin.join(', ')}]`;
  if (!close(a.direction, b.direction, false)) return `direction [${a.direction.join(', ')}] vs [${b.direction.join(', ')}]`;
  return undefined;
}

/**
 * Checks that the CT at `imageKey` and the segmentation at `segKey` share size, spacing, origin
 * and direction (within 1e-5) and that the segmentation holds integers in [0, maxLabel]. Static;
 * returns the sample unchanged.
 * @example kits21CheckCase({ imageKey: 'data.input.img', segKey: 'data.gt.seg', imagePathKey: 'data.input.img_path', segPathKey: 'data.gt.seg_path', maxLabel: 3 })
 * @throws {OptionsError} for a bad key or `maxLabel`.
 * @throws {InputError} (as an OpError naming the case) naming the segmentation file and the first
 *   difference, or the first voxel value that is not a label.
 */
export const kits21CheckCase = defineOp<Kits21CheckCaseOptions>({
  name: NAME,
  version: 1,
  kind: 'static',
  module: import.meta.url, // worker threads import this module to rebuild the op from its spec
  validate: (o) => {
    for (const k of ['imageKey', 'segKey', 'imagePathKey', 'segPathKey'] as const) checkKey(NAME, k, o[k]);
    if (!Number.isInteger(o.maxLabel) || o.maxLabel < 1) throw new OptionsError(`op '${NAME}': option 'maxLabel' must be a positive integer, got ${JSON.stringify(o.maxLabel)}`);
  },
  apply: (sample, ctx, o) => {
    const image = getKey<unknown>(sample, o.imageKey);
    const seg = getKey<unknown>(sample, o.segKey);
    if (!isImage(image) || !isImage(seg)) throw new TypeMismatchError(`op '${NAME}': keys '${o.imageKey}' and '${o.segKey}' of case '${ctx.sampleId}' must hold Images`);
    const segFile = String(getKey<unknown>(sample, o.segPathKey));
    const imageFile = String(getKey<unknown>(sample, o.imagePathKey));
    const difference = gridDifference(image, seg);
    if (difference !== undefined) {
      throw new InputError(`case '${ctx.sampleId}': the segmentation is not on the CT's grid (${imageFile}): ${difference}`, { file: segFile });
    }
    if (seg.components !== 1) throw new InputError(`case '${ctx.sampleId}': the segmentation has ${seg.components} components per voxel; a label map has 1`, { file: segFile });
    const values = seg.data;
    for (let i = 0; i < values.length; i++) {
      const v = Number(values[i]);
      if (!(Number.isInteger(v) && v >= 0 && v <= o.maxLabel)) {
        throw new InputError(
          `case '${ctx.sampleId}': voxel ${i} holds ${v}; a KiTS segmentation holds the labels 0..${o.maxLabel} (0 background, 1 kidney, 2 tumor${o.maxLabel >= 3 ? ', 3 cyst' : ''})`,
          {
            file: segFile,
          },
        );
      }
    }
    return sample;
  },
});
