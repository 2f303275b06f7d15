/**
 * Writes an image without blocking the event loop: on the shared IO pool from the main thread,
 * inline on a worker thread. The caller's image is copied to the worker, never detached.
 */
import { isMainThread } from 'node:worker_threads';
import type { Image } from '../../../core/image.js';
import { runIoTask } from './io-pool.js';
import { unwrapReply } from './io-reply.js';
import { writeImageLocal, type WriteImageOptions } from './write-image-local.js';

/**
 * Writes `image` to `path` as NIfTI (.nii, .nii.gz), NRRD (.nrrd, .nhdr), MetaImage (.mha, .mhd)
 * or, for 2D images, PNG/JPEG/TIFF. Geometry (spacing, origin, direction) is kept; reading the
 * file back gives the same voxels and geometry.
 *
 * @example
 * await writeImage(segmentation, 'out/seg.nii.gz');
 * @throws {OptionsError} for an extension fuseflow does not write.
 * @throws {FuseflowError} naming the file when the write fails.
 */
export async function writeImage(image: Image, path: string, options: WriteImageOptions = {}): Promise<void> {
  if (!isMainThread) return writeImageLocal(image, path, options);
  unwrapReply(await runIoTask<null>('writeTask', { image, path, options }));
}
