import { isAbsolute, join } from 'node:path';
import { OptionsError, TypeMismatchError } from '../../core/errors.js';
import { getKey, setKey } from '../../core/sample.js';
import { noteFileRead } from '../file-reads.js';
import { defineOp } from '../registry.js';
import { dicomAttributes } from './io/dicom-keywords.js';
import { readDicomTags } from './io/dicom-tags.js';
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
  /**
   * DICOM attributes to read by keyword (`PatientID`, `StudyDate`, `Modality`, `SeriesDescription`,
   * `Manufacturer`, `SliceThickness`, …; `dicomKeywords()` lists them), written as one object to
   * `tagsKey`: numbers for numeric attributes, strings for text, arrays for several values, `null`
   * when absent or empty. A series' attributes come from its first slice (the volume's index 0).
   * Only for DICOM files and series. Default: none. Give `tagsKey` with it.
   */
  readonly tags?: readonly string[];
  /** Key the attributes object is written to (FuseMedML's `key_metadata_out`). Required with `tags`. */
  readonly tagsKey?: string;
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
 * With `tags`, the DICOM attributes named go to `tagsKey` as one object (FuseMedML's loader
 * returns such metadata next to the image), e.g. `{ PatientID: '123565', Modality: 'MR',
 * SliceThickness: 5, PixelSpacing: [0.859375, 0.859375] }`.
 *
 * @example
 * pipeline([loadImage({ key: 'data.input.path', outKey: 'data.input.img', dir: '/data/brats' }), resample({ keys: ['data.input.img'], spacing: 1.5 })])
 * loadImage({ key: 'data.input.path', outKey: 'data.input.img', tags: ['PatientID', 'StudyDate', 'Modality'], tagsKey: 'data.input.dicom' })
 * @throws {OptionsError} when `key`, `outKey`, `dir`, `seriesUid` or `tagsKey` is not a non-empty
 *   string, a keyword in `tags` is unknown (naming the closest known ones) or repeated, or only one
 *   of `tags` and `tagsKey` is given.
 * @throws {TypeMismatchError} (at run time) when the value at `key` is not a string.
 * @throws {InputError} (at run time, wrapped in an OpError naming the sample) when the file is
 *   missing, truncated, not an image, a DICOM without pixel data, or a folder with several series;
 *   with `tags`, a file that is not DICOM.
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
    if (o.tags !== undefined) dicomAttributes(o.tags, `op '${NAME}': option 'tags'`);
    if (o.tagsKey !== undefined) checkPath('tagsKey', o.tagsKey);
    if ((o.tags === undefined) !== (o.tagsKey === undefined)) {
      throw new OptionsError(
        `op '${NAME}': options 'tags' and 'tagsKey' go together (the keywords to read and the key their values go to); got only '${o.tags === undefined ? 'tagsKey' : 'tags'}'`,
      );
    }
  },
  apply: async (sample, ctx, o) => {
    const value = getKey<unknown>(sample, o.key);
    if (typeof value !== 'string') {
      throw new TypeMismatchError(`op '${NAME}': key '${o.key}' of sample '${ctx.sampleId}' must hold a path string, found ${typeof value}`);
    }
    const path = o.dir === undefined || isAbsolute(value) ? value : join(o.dir, value);
    noteFileRead(path); // lets a cache record the file, so replacing it makes the entry stale
    const series = o.seriesUid === undefined ? {} : { seriesUid: o.seriesUid };
    const image = await readImage(path, series);
    const loaded = setKey(sample, o.outKey ?? o.key, image);
    if (o.tags === undefined || o.tagsKey === undefined) return loaded;
    return setKey(loaded, o.tagsKey, await readDicomTags(path, o.tags, series));
  },
});
