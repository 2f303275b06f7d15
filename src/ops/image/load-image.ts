import { isAbsolute, join } from 'node:path';
import { OptionsError, TypeMismatchError } from '../../core/errors.js';
import { getKey, setKey } from '../../core/sample.js';
import { noteFileRead } from '../file-reads.js';
import { defineOp } from '../registry.js';
import { readImage } from './io/read-image.js';

/** Options of {@link loadImage}. */
export interface LoadImageOptions {
  /** Key holding the path (a file, or a folder with one DICOM series). */
  readonly key: string;
  /** Key the Image is written to. Default: `key` (the path is replaced by the image). */
  readonly outKey?: string;
  /** Folder that relative paths are resolved against. Default: the working directory. */
  readonly dir?: string;
  /** SeriesInstanceUID to read from a folder holding several series. Default: none (several is an error). */
  readonly seriesUid?: string;
}

const NAME = 'image.load';

function checkPath(field: string, value: unknown): void {
  if (typeof value !== 'string' || value.length === 0) {
    throw new OptionsError(`op '${NAME}': option '${field}' must be a non-empty string, got ${JSON.stringify(value)}`);
  }
}

/**
 * Loads an image file (NIfTI, NRRD, MetaImage, PNG, JPEG, TIFF, a DICOM file or a DICOM series
 * folder) whose path sits at `key`, and writes the {@link Image} (pixels, spacing, origin,
 * direction; ITK's LPS convention) to `outKey`. Static (deterministic, cacheable). FuseMedML's
 * `OpLoadImage`, MONAI's `LoadImaged`.
 *
 * The read runs on the shared image IO worker pool when called from the main thread, so the event
 * loop stays free; inside a worker (a worker runner executing the whole pipeline) it reads inline.
 *
 * @example
 * pipeline([loadImage({ key: 'data.input.path', outKey: 'data.input.img', dir: '/data/brats' }), resample({ keys: ['data.input.img'], spacing: 1.5 })])
 * @throws {OptionsError} when `key`, `outKey`, `dir` or `seriesUid` is not a non-empty string.
 * @throws {TypeMismatchError} (at run time) when the value at `key` is not a string.
 * @throws {InputError} (at run time, wrapped in an OpError naming the sample) when the file is
 *   missing, truncated, not an image, a DICOM without pixel data, or a folder with several series.
 */
export const loadImage = defineOp<LoadImageOptions>({
  name: NAME,
  version: 1,
  kind: 'static',
  validate: (o) => {
    checkPath('key', o.key);
    if (o.outKey !== undefined) checkPath('outKey', o.outKey);
    if (o.dir !== undefined) checkPath('dir', o.dir);
    if (o.seriesUid !== undefined) checkPath('seriesUid', o.seriesUid);
  },
  apply: async (sample, ctx, o) => {
    const value = getKey<unknown>(sample, o.key);
    if (typeof value !== 'string') {
      throw new TypeMismatchError(`op '${NAME}': key '${o.key}' of sample '${ctx.sampleId}' must hold a path string, found ${typeof value}`);
    }
    const path = o.dir === undefined || isAbsolute(value) ? value : join(o.dir, value);
    noteFileRead(path); // lets a cache record the file, so replacing it makes the entry stale
    const image = await readImage(path, o.seriesUid === undefined ? {} : { seriesUid: o.seriesUid });
    return setKey(sample, o.outKey ?? o.key, image);
  },
});
