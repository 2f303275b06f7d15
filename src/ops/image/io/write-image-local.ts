/**
 * Writes an Image with itk-wasm on the calling thread (NIfTI, NRRD, MetaImage; PNG, JPEG and TIFF
 * for 2D). Single-file formats are written into a temporary folder beside the target (named by its
 * writer, safe-fs `tempPathFor`) and renamed, so a reader never sees half a file; the next write of
 * the target removes what a writer killed on this host left.
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { FuseflowError, OptionsError } from '../../../core/errors.js';
import type { Image } from '../../../core/image.js';
import { outputErrorOf, pauseBeforeRename, removeStaleTemps, tempPathFor } from '../../../core/safe-fs.js';
import { ioForPath, WRITABLE } from './image-formats.js';
import { toItkImage } from './itk-image.js';
import { runPipeline } from './itk-module.js';

/** Options for writing an image. */
export interface WriteImageOptions {
  /** Compress pixel data where the format allows (NRRD, MHA; `.nii.gz` always is). Default false. */
  readonly compress?: boolean;
}

/**
 * Writes `image` to `path`; the format follows the extension.
 * @throws {OptionsError} for an extension fuseflow does not write.
 * @throws {FuseflowError} naming the file when itk-wasm fails to write it.
 */
export async function writeImageLocal(image: Image, path: string, options: WriteImageOptions = {}): Promise<void> {
  const file = resolve(path);
  const io = ioForPath(file);
  if (io === undefined || !WRITABLE.has(io)) {
    throw new OptionsError(`cannot write '${path}': fuseflow writes .nii, .nii.gz, .nrrd, .nhdr, .mha, .mhd, .png, .jpg, .tif`);
  }
  const name = basename(file);
  // header + data pairs (.mhd/.raw, .nhdr/.raw, .hdr/.img) name their data file after the header: write in place
  const detached = /\.(mhd|nhdr|hdr)$/i.test(name);
  // A single file is written as NAME inside a temporary folder named by its writer (safe-fs tempPathFor: itk-wasm picks
  // compression by the name's extension), then renamed; what a killed writer of this target left is removed first.
  let folder: string | undefined;
  if (!detached) {
    removeStaleTemps(file);
    folder = tempPathFor(file);
    try {
      await mkdir(folder);
    } catch (err) {
      throw outputErrorOf(file, err);
    }
  }
  const target = folder === undefined ? file : join(folder, name);
  const args = ['0', '0', target, '--memory-io', ...(options.compress === true ? ['--use-compression'] : [])];
  try {
    const out = await runPipeline({
      pkg: 'image-io',
      pipeline: `${io}-write-image`,
      args,
      mounts: [dirname(file)],
      inputImage: toItkImage(image),
      jsonOutputs: [0],
    });
    if (out.returnValue !== 0 || out.json.get(0) !== true) {
      throw new FuseflowError(`${path}: itk-wasm could not write the ${io} image${out.stderr ? `: ${out.stderr.trim()}` : ''}`);
    }
    if (folder !== undefined) {
      pauseBeforeRename(target);
      await rename(target, file);
    }
  } catch (err) {
    if (err instanceof FuseflowError) throw err;
    throw new FuseflowError(`${path}: writing the image failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  } finally {
    if (folder !== undefined) await rm(folder, { recursive: true, force: true });
  }
}
