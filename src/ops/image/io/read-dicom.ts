/**
 * DICOM reading on the calling thread: one file, or a folder holding one series.
 *
 * Files are checked by {@link scanDicom} first (pixel data present, one series, not truncated),
 * trimmed of trailing zero padding, and handed to GDCM through the wasm module's in-memory file
 * system. GDCM sorts a series by ImagePositionPatient along the slice normal, takes the slice
 * spacing from those positions (not SliceThickness) and applies RescaleSlope/RescaleIntercept.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../../../core/errors.js';
import type { Image } from '../../../core/image.js';
import { looksLikeDicom, scanDicom, type DicomScan } from './dicom-file.js';
import { fromItkImage } from './itk-image.js';
import { runPipeline } from './itk-module.js';
import { checkSlicePositions, type SeriesSlice } from './slice-positions.js';

/** Options for reading a DICOM series folder. */
export interface DicomSeriesOptions {
  /** SeriesInstanceUID to read when the folder holds several series. Default: none (several is an error). */
  readonly seriesUid?: string;
  /**
   * How the error for a folder with several series tells the caller to pick one: the command
   * line says `--series UID`. Default: `the seriesUid option`.
   */
  readonly pickSeriesHint?: string;
}

/** True for names DICOM files get: .dcm, .dicom, .ima, .dic, no extension, or digits (a UID). */
function namedLikeDicom(name: string): boolean {
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return true;
  const ext = name.slice(dot + 1).toLowerCase();
  return /^\d+$/.test(ext) || ['dcm', 'dicom', 'ima', 'dic'].includes(ext);
}

function checkPixels(scan: DicomScan, file: string): void {
  if (!scan.hasPixelData) throw new InputError('DICOM file has no pixel data (element (7FE0,0010) is absent or empty)', { file });
}

function failure(file: string, what: string, err: unknown): InputError {
  const reason = err instanceof Error ? err.message : String(err);
  return new InputError(`${what}: ${reason}`, { file });
}

/**
 * Reads one DICOM file as a 3D image of one slice (or of its frames).
 * @throws {InputError} naming the file when it is not DICOM, truncated, or has no pixel data.
 */
export async function readDicomFile(file: string): Promise<Image> {
  const raw = await readFile(file);
  // a dataset without the Part 10 header (no preamble, no DICM) cannot be checked; GDCM may still read it
  const partTen = looksLikeDicom(raw);
  const bytes = partTen ? scanDicom(raw, file).bytes : raw;
  if (partTen) checkPixels(scanDicom(bytes, file), file);
  const inner = '/fuseflow-in/image.dcm';
  let out;
  try {
    out = await runPipeline({
      pkg: 'image-io',
      pipeline: 'gdcm-read-image',
      args: [inner, '0', '1', '--memory-io'],
      files: new Map([[inner, bytes]]),
      jsonOutputs: [0],
      imageOutputs: [1],
    });
  } catch (err) {
    throw failure(file, partTen ? 'GDCM could not decode the DICOM file' : 'not a DICOM file (no DICM marker at byte 128, and not a raw DICOM dataset GDCM can read)', err);
  }
  const image = out.images.get(1);
  if (out.returnValue !== 0 || out.json.get(0) !== true || image === undefined) {
    const what = partTen ? 'GDCM could not read the DICOM file' : 'not a DICOM file (no DICM marker at byte 128, and not a raw DICOM dataset GDCM can read)';
    throw new InputError(`${what}${out.stderr ? `: ${out.stderr.trim()}` : ''}`, { file });
  }
  return fromItkImage(image, file);
}

/**
 * The files of the one series a folder holds (or of `seriesUid`), with what {@link scanDicom}
 * found in each, checked as {@link readDicomSeries} checks them (pixel data, slice positions).
 * @throws {InputError} as {@link readDicomSeries} does.
 */
export async function seriesSlices(dir: string, options: DicomSeriesOptions = {}): Promise<SeriesSlice[]> {
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isFile() && !e.name.startsWith('.') && e.name.toUpperCase() !== 'DICOMDIR')
    .map((e) => e.name)
    .sort();
  const bySeries = new Map<string, { file: string; scan: DicomScan }[]>();
  for (const name of names) {
    const file = join(dir, name);
    const bytes = await readFile(file);
    if (!looksLikeDicom(bytes)) {
      if (namedLikeDicom(name)) {
        throw new InputError(
          `named like a DICOM file but not DICOM Part 10 (no DICM marker at byte 128; ${bytes.length} bytes): cut or damaged? Move it out of the folder if it is not part of the series`,
          { file },
        );
      }
      continue;
    }
    const scan = scanDicom(bytes, file);
    const uid = scan.seriesUid ?? '(no SeriesInstanceUID)';
    bySeries.set(uid, [...(bySeries.get(uid) ?? []), { file, scan }]);
  }
  if (bySeries.size === 0) throw new InputError(`no DICOM files in the folder (${names.length} other files)`, { file: dir });
  let chosen: { file: string; scan: DicomScan }[] | undefined;
  if (options.seriesUid !== undefined) {
    chosen = bySeries.get(options.seriesUid);
    if (chosen === undefined) throw new InputError(`no series '${options.seriesUid}' in the folder; it holds ${[...bySeries.keys()].join(', ')}`, { file: dir });
  } else if (bySeries.size > 1) {
    const list = [...bySeries].map(([uid, files]) => `${uid} (${files.length} files)`).join(', ');
    throw new InputError(`the folder holds ${bySeries.size} DICOM series: ${list}; pick one with ${options.pickSeriesHint ?? 'the seriesUid option'}`, { file: dir });
  } else {
    chosen = [...bySeries.values()][0];
  }
  const slices = chosen ?? [];
  for (const { file, scan } of slices) checkPixels(scan, file);
  checkSlicePositions(dir, slices);
  return slices;
}

/**
 * Reads every DICOM file of a folder (not recursive) as one volume. A DICOMDIR and files named
 * like something else (notes.txt, scan.json) are ignored when they lack the DICM marker; a file
 * named like DICOM (.dcm, .dicom, .ima, .dic, no extension, or a UID's digits) without the marker
 * is an error, not a slice quietly left out (a cut or damaged slice). The series' bytes are held twice while GDCM reads them (once
 * in JS, once in the wasm file system).
 * @throws {InputError} naming the folder or file: no DICOM files, several series (unless
 *   `seriesUid` picks one), a file without pixel data, or a truncated file.
 */
export async function readDicomSeries(dir: string, options: DicomSeriesOptions = {}): Promise<Image> {
  const slices = await seriesSlices(dir, options);
  const files = new Map<string, Uint8Array>();
  slices.forEach(({ scan }, i) => files.set(`/fuseflow-series/${String(i).padStart(5, '0')}.dcm`, scan.bytes));
  let out;
  try {
    out = await runPipeline({
      pkg: 'dicom',
      pipeline: 'read-image-dicom-file-series',
      args: ['0', '1', '--memory-io', '--input-images', ...files.keys()],
      files,
      imageOutputs: [0],
      jsonOutputs: [1],
    });
  } catch (err) {
    throw failure(dir, 'GDCM could not read the DICOM series', err);
  }
  const image = out.images.get(0);
  if (out.returnValue !== 0 || image === undefined) {
    throw new InputError(`GDCM could not read the DICOM series${out.stderr ? `: ${out.stderr.trim()}` : ''}`, { file: dir });
  }
  return fromItkImage(image, dir);
}
