/**
 * File extensions → itk-wasm image IO pipelines (`<io>-read-image`, `<io>-write-image`).
 */
import { basename } from 'node:path';

/** itk-wasm image IO names fuseflow dispatches to. */
export type ImageIoName = 'nifti' | 'nrrd' | 'meta' | 'png' | 'jpeg' | 'tiff' | 'mgh' | 'vtk' | 'gipl' | 'bmp' | 'gdcm';

const BY_EXTENSION: ReadonlyArray<readonly [string, ImageIoName]> = [
  ['.nii.gz', 'nifti'],
  ['.nii', 'nifti'],
  ['.hdr', 'nifti'],
  ['.img', 'nifti'],
  ['.img.gz', 'nifti'],
  ['.nrrd', 'nrrd'],
  ['.nhdr', 'nrrd'],
  ['.mha', 'meta'],
  ['.mhd', 'meta'],
  ['.png', 'png'],
  ['.jpg', 'jpeg'],
  ['.jpeg', 'jpeg'],
  ['.tif', 'tiff'],
  ['.tiff', 'tiff'],
  ['.mgh', 'mgh'],
  ['.mgz', 'mgh'],
  ['.vtk', 'vtk'],
  ['.gipl', 'gipl'],
  ['.gipl.gz', 'gipl'],
  ['.bmp', 'bmp'],
  ['.dcm', 'gdcm'],
  ['.dicom', 'gdcm'],
  ['.ima', 'gdcm'],
];

/** Formats fuseflow writes (single-file or header + data pairs written by itk-wasm). */
export const WRITABLE: ReadonlySet<ImageIoName> = new Set(['nifti', 'nrrd', 'meta', 'png', 'jpeg', 'tiff']);

/** Readers tried in turn when a file's extension says nothing. */
export const PROBE_ORDER: readonly ImageIoName[] = ['nifti', 'nrrd', 'meta', 'png', 'jpeg', 'tiff', 'mgh', 'vtk', 'gipl', 'bmp'];

/** The image IO for a path by its extension (case-insensitive), or undefined. */
export function ioForPath(path: string): ImageIoName | undefined {
  const name = basename(path).toLowerCase();
  for (const [ext, io] of BY_EXTENSION) if (name.endsWith(ext)) return io;
  return undefined;
}

/** The extension {@link ioForPath} matched (e.g. `.nii.gz`), or ''. */
export function extensionOf(path: string): string {
  const name = basename(path).toLowerCase();
  for (const [ext] of BY_EXTENSION) if (name.endsWith(ext)) return ext;
  return '';
}
