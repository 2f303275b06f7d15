import type { Image } from '../../core/image.js';
import type { Sample } from '../../core/sample.js';
import { defineOp } from '../registry.js';
import { imageAt, updateImages } from './internal/image-access.js';
import { checkMask, floatValues, meanStd, withValues } from './internal/intensity.js';
import { checkKeyList, checkKeyPath } from './internal/options.js';

/** Options of {@link zScoreIntensity}. */
export interface ZScoreIntensityOptions {
  /** Image keys, each normalized with its own statistics. */
  readonly keys: readonly string[];
  /** Mask key: statistics come from voxels where the mask is non-zero. Default: every voxel. */
  readonly maskKey?: string;
  /** Set voxels outside the mask to 0 (MONAI's `nonzero` behaviour). Default false: every voxel is normalized. */
  readonly zeroOutsideMask?: boolean;
}

const NAME = 'image.zScoreIntensity';

/** `(img - mean) / std` with statistics over `select`ed voxels; a zero std counts as 1 (as MONAI does). */
export function zScoreImage(img: Image, mask: Image | undefined, zeroOutside: boolean): Image {
  const v = floatValues(img);
  const C = img.components;
  const m = mask?.data;
  const select = m === undefined ? undefined : (voxel: number): boolean => m[voxel] !== 0;
  const { mean, std } = meanStd(v, C, select);
  const scale = std === 0 ? 1 : 1 / std;
  for (let i = 0; i < v.length; i++) {
    v[i] = zeroOutside && m !== undefined && m[Math.floor(i / C)] === 0 ? 0 : ((v[i] as number) - mean) * scale;
  }
  return withValues(img, v);
}

/**
 * Z-scores image intensities: `(v - mean) / std`, with mean and population std over the whole
 * image or over a mask's non-zero voxels (MONAI's `NormalizeIntensity`). Reads `keys` (and
 * `maskKey`), writes `keys`. Static. Output is float32 (float64 stays float64). A constant image
 * becomes all zeros.
 * @example
 * zScoreIntensity({ keys: ['data.t1'], maskKey: 'data.brain' })
 * @throws {OptionsError} for a bad key.
 * @throws {TypeMismatchError} (as an OpError) when the mask's grid differs from the image's.
 */
export const zScoreIntensity = defineOp<ZScoreIntensityOptions>({
  name: NAME,
  version: 1,
  kind: 'static',
  validate: (o) => {
    checkKeyList(NAME, 'keys', o.keys);
    if (o.maskKey !== undefined) checkKeyPath(NAME, 'maskKey', o.maskKey);
  },
  apply: (sample: Sample, _ctx, o) => {
    const mask = o.maskKey === undefined ? undefined : imageAt(sample, o.maskKey);
    return updateImages(sample, o.keys, (img, key) => {
      if (mask !== undefined) checkMask(img, mask, key, o.maskKey as string);
      return zScoreImage(img, mask, o.zeroOutsideMask === true);
    });
  },
});
