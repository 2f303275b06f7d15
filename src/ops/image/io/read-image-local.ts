/**
 * Reads an image file or DICOM series folder on the calling thread with itk-wasm. This blocks the
 * thread while the wasm reader runs; use {@link readImage}, which calls this on a worker thread
 * (or inline when already on one).
 */
import { open, readFile, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { InputError } from '../../../core/errors.js';
import type { Image } from '../../../core/image.js';
import { looksLikeDicom } from './dicom-file.js';
import { checkMgh } from './check-mgh.js';
import { checkNifti } from './check-nifti.js';
import { checkDeclaredSize } from './declared-size.js';
import { diagnoseRead } from './diagnose-read.js';
import { ioForPath, PROBE_ORDER, type ImageIoName } from './image-formats.js';
import { fromItkImage } from './itk-image.js';
import { runPipeline, type PipelineCall } from './itk-module.js';
import { readDicomFile, readDicomSeries, type DicomSeriesOptions } from './read-dicom.js';
import { declaredVoxelBytes } from './text-header-check.js';

/** Options for reading an image. */
export type ReadImageOptions = DicomSeriesOptions;

async function firstBytes(file: string, n: number): Promise<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    const head = new Uint8Array(n);
    const { bytesRead } = await handle.read(head, 0, n, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

async function startsLikeDicom(file: string): Promise<boolean> {
  return looksLikeDicom(await firstBytes(file, 132));
}

/**
 * How the reader sees `file`. A .nii.gz goes in alone, through the module's in-memory file
 * system: the NIfTI library looks for the voxel data under `<name>.nii` before `<name>.nii.gz`,
 * so with the folder mounted, a `scan.nii` beside `scan.nii.gz` would supply the voxels. Other
 * files are read in place from their mounted folder (header + data pairs need it).
 */
async function readerInput(io: ImageIoName, file: string): Promise<Pick<PipelineCall, 'mounts' | 'files'> & { readonly path: string }> {
  if (io === 'nifti' && /\.nii\.gz$/i.test(file)) {
    const path = `/fuseflow-in/${basename(file)}`;
    return { path, files: new Map([[path, new Uint8Array(await readFile(file))]]) };
  }
  return { path: file, mounts: [dirname(file)] };
}

/** Runs one itk-wasm reader; undefined when it says it cannot read the file. */
async function tryReader(io: ImageIoName, file: string): Promise<{ image: Image } | { problem: string }> {
  try {
    const { path, ...input } = await readerInput(io, file);
    const out = await runPipeline({
      pkg: 'image-io',
      pipeline: `${io}-read-image`,
      args: [path, '0', '1', '--memory-io'],
      ...input,
      jsonOutputs: [0],
      imageOutputs: [1],
    });
    const image = out.images.get(1);
    if (out.returnValue === 0 && out.json.get(0) === true && image !== undefined) return { image: fromItkImage(image, file) };
    return { problem: out.stderr.trim() || `not a readable ${io} image` };
  } catch (err) {
    if (err instanceof InputError) throw err;
    return { problem: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * Reads `path` (NIfTI, NRRD, MetaImage, PNG, JPEG, TIFF, MGH, VTK, a DICOM file, or a folder
 * holding one DICOM series) on this thread.
 * @throws {InputError} naming the file and what is wrong (missing, empty, truncated, not an
 *   image, a DICOM without pixel data, a folder with several series).
 */
export async function readImageLocal(path: string, options: ReadImageOptions = {}): Promise<Image> {
  const file = resolve(path);
  let info;
  try {
    info = await stat(file);
  } catch (err) {
    throw new InputError(`cannot read the image: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : String(err)}`, { file: path });
  }
  if (info.isDirectory()) return readDicomSeries(path, options);
  if (info.size === 0) throw new InputError('the file is empty', { file: path });
  const io = ioForPath(file);
  if (io === 'gdcm' || (io === undefined && (await startsLikeDicom(file)))) return readDicomFile(path);
  if (io === 'nifti' && /\.nii(\.gz)?$/i.test(file)) await checkNifti(file, path);
  if (io === 'mgh') await checkMgh(file, path);
  if (io === 'nrrd' || io === 'meta') {
    const declared = declaredVoxelBytes(io, await firstBytes(file, 64 * 1024));
    if (declared !== undefined) checkDeclaredSize(declared, path);
  }
  const candidates = io === undefined ? PROBE_ORDER : [io];
  let problem = '';
  for (const candidate of candidates) {
    const got = await tryReader(candidate, file);
    if ('image' in got) return got.image;
    problem = got.problem;
  }
  const fallback = io === undefined ? 'not an image in any format fuseflow reads (tried ' + PROBE_ORDER.join(', ') + ')' : `not a readable ${io} image (${problem})`;
  throw new InputError(await diagnoseRead(file, io, fallback), { file: path });
}
