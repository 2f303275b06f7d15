/**
 * Reads an image without blocking the event loop: from the main thread the read runs on the
 * shared IO pool and the pixel buffer is transferred back; on a worker thread (e.g. inside a
 * worker runner executing `loadImage → resample → …`) it runs inline, never bouncing to another
 * pool.
 */
import { isMainThread } from 'node:worker_threads';
import type { Image } from '../../../core/image.js';
import { runIoTask } from './io-pool.js';
import { unwrapReply } from './io-reply.js';
import { readImageLocal, type ReadImageOptions } from './read-image-local.js';

/**
 * Reads an image file or a DICOM series folder into an {@link Image}.
 *
 * Formats: NIfTI (.nii, .nii.gz, .hdr/.img, either byte order, scl_slope/scl_inter applied),
 * NRRD, MetaImage (.mha, .mhd + raw), PNG, JPEG, TIFF, MGH, VTK, a DICOM file, or a folder with
 * one DICOM series (sorted by position, spacing from ImagePositionPatient, rescale applied; the
 * slices must be evenly spaced, so a missing or doubled slice is an error, not a stretched volume).
 * Geometry follows ITK: LPS, spacing/origin in (x, y, z), row-major direction.
 *
 * @example
 * const t1 = await readImage('sub-01/T1w.nii.gz');
 * imageSize(t1); // [x, y, z]
 * @throws {InputError} naming the file: missing, empty, truncated, longer than its header declares
 *   (a gzip bomb stops there), a header declaring more than 2 GiB, not an image, a DICOM without
 *   pixel data, a series with a missing, doubled or misplaced slice, a folder holding several
 *   series (pick one with `seriesUid`).
 */
export async function readImage(path: string, options: ReadImageOptions = {}): Promise<Image> {
  if (!isMainThread) return readImageLocal(path, options);
  return unwrapReply(await runIoTask<Image>('readTask', { path, options }));
}
