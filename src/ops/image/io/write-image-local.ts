/**
 * Writes an Image with itk-wasm on the calling thread (NIfTI, NRRD, MetaImage; PNG, JPEG and TIFF
 * for 2D). Single-file formats are written to a temporary name in the target folder and renamed,
 * so a reader never sees half a file.
 */
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { FuseflowError, OptionsError } from '../../../core/errors.js';
import type { Image } from '../../../core/image.js';
import { ioForPath, WRITABLE } from './image-formats.js';
import { toItkImage } from './itk-image.js';
import { runPipeline } from './itk-module.js';

/** Options for writing an image. */
export interface WriteImageOptions {
  /** Compress pixel data where the format allows (NRRD, MHA; `.nii.gz` always is). Default false. */
  readonly compress?: boolean;
}

let counter = 0;

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
  const target = detached ? file : join(dirname(file), `.${process.pid}-${counter++}.partial-${name}`);
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
    if (!detached) await rename(target, file);
  } catch (err) {
    if (!detached) await rm(target, { force: true });
    if (err instanceof FuseflowError) throw err;
    throw new FuseflowError(`${path}: writing the image failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
