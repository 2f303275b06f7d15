import { defineOp } from '../../ops/registry.js';
import { gaussianSmooth } from '../../ops/image/internal/gaussian.js';
import { sizeOf, updateImages } from '../../ops/image/internal/image-access.js';
import { floatValues, withValues } from '../../ops/image/internal/intensity.js';
import { checkKeyList, checkPerAxis, perAxis, type PerAxis } from '../../ops/image/internal/options.js';

/** Options of {@link antialias}. */
export interface AntialiasOptions {
  /** Image keys. */
  readonly keys: readonly string[];
  /** The size (x, y[, z]) the images are resized to next; axes that shrink are smoothed. */
  readonly size: PerAxis;
}

const NAME = 'datasets.antialias';

/**
 * Smooths images before they are shrunk to `size`, so the resize does not alias (scikit-image's
 * `resize(anti_aliasing=True)`, which FuseMedML's ISIC resize uses): a Gaussian with
 * σ = (n / size − 1) / 2 voxels along each axis whose length n shrinks, none along the others.
 * Reads and writes `keys`; output is float32 (float64 stays float64). Static. Put it right
 * before `resample({ keys, size })`.
 * @example [antialias({ keys: ['data.img'], size: [300, 300] }), resample({ keys: ['data.img'], size: [300, 300] })]
 * @throws {OptionsError} for a bad size.
 * @throws {TypeMismatchError} (as an OpError) when a key holds no image or `size` does not match its dimension.
 */
export const antialias = defineOp<AntialiasOptions>({
  name: NAME,
  version: 1,
  kind: 'static',
  module: import.meta.url,
  validate: (o) => {
    checkKeyList(NAME, 'keys', o.keys);
    checkPerAxis(NAME, 'size', o.size, { min: 1, integer: true });
  },
  apply: (sample, _ctx, o) =>
    updateImages(sample, o.keys, (img) => {
      const target = perAxis(o.size, img.dimension, 'size');
      const sigmas = sizeOf(img).map((n, i) => Math.max(0, (n / (target[i] as number) - 1) / 2));
      if (sigmas.every((s) => s === 0)) return img;
      const v = floatValues(img);
      gaussianSmooth(img, v, sigmas);
      return withValues(img, v);
    }),
});
