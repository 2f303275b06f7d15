import { OptionsError } from '../../core/errors.js';
import { defineOp } from '../../ops/registry.js';
import { gaussianSmooth } from '../../ops/image/internal/gaussian.js';
import { sizeOf, updateImages } from '../../ops/image/internal/image-access.js';
import { floatValues, withValues } from '../../ops/image/internal/intensity.js';
import { checkKeyList, checkPerAxis, perAxis, type PerAxis } from '../../ops/image/internal/options.js';

/** Options of {@link antialias}. Give exactly one of `size` and `spacing`, as to the `resample` that follows. */
export interface AntialiasOptions {
  /** Image keys. */
  readonly keys: readonly string[];
  /** The size (x, y[, z]) the images are resized to next; axes that shrink are smoothed. */
  readonly size?: PerAxis;
  /** The voxel size in mm (x, y[, z]) the images are resampled to next; axes whose voxels grow are smoothed. */
  readonly spacing?: PerAxis;
}

const NAME = 'datasets.antialias';

/**
 * Smooths images before they are shrunk to `size`, so the resize does not alias (scikit-image's
 * `resize(anti_aliasing=True)`, which FuseMedML's ISIC resize uses): a Gaussian with
 * σ = (n / size − 1) / 2 voxels along each axis whose length n shrinks (with `spacing`:
 * σ = (spacing / current spacing − 1) / 2), none along the others. Reads and writes `keys`;
 * output is float32 (float64 stays float64). Static. Put it right before the `resample` with the
 * same `size` or `spacing`.
 * @example [antialias({ keys: ['data.img'], size: [300, 300] }), resample({ keys: ['data.img'], size: [300, 300] })]
 * @throws {OptionsError} unless exactly one of `size` and `spacing` is given, positive.
 * @throws {TypeMismatchError} (as an OpError) when a key holds no image or `size` does not match its dimension.
 */
export const antialias = defineOp<AntialiasOptions>({
  name: NAME,
  version: 1,
  kind: 'static',
  module: import.meta.url,
  validate: (o) => {
    checkKeyList(NAME, 'keys', o.keys);
    if ((o.size === undefined) === (o.spacing === undefined)) throw new OptionsError(`op '${NAME}': give exactly one of 'size' and 'spacing'`);
    if (o.size !== undefined) checkPerAxis(NAME, 'size', o.size, { min: 1, integer: true });
    if (o.spacing !== undefined) checkPerAxis(NAME, 'spacing', o.spacing, { above: 0 });
  },
  apply: (sample, _ctx, o) =>
    updateImages(sample, o.keys, (img) => {
      const factors =
        o.size !== undefined
          ? perAxis(o.size, img.dimension, 'size').map((m, i) => (sizeOf(img)[i] as number) / m)
          : perAxis(o.spacing as PerAxis, img.dimension, 'spacing').map((s, i) => s / (img.spacing[i] as number));
      const sigmas = factors.map((f) => Math.max(0, (f - 1) / 2));
      if (sigmas.every((s) => s === 0)) return img;
      const v = floatValues(img);
      gaussianSmooth(img, v, sigmas);
      return withValues(img, v);
    }),
});
