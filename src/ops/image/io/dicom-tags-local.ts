/**
 * DICOM attributes by keyword (PatientID, StudyDate, Modality, SliceThickness, …) read with GDCM
 * (itk-wasm's `read-dicom-tags` pipeline) and typed by their value representation, for a sample's
 * metadata as FuseMedML's medical image loader returns it.
 */
import { readFile, stat } from 'node:fs/promises';
import { InputError } from '../../../core/errors.js';
import { looksLikeDicom, scanDicom } from './dicom-file.js';
import { dicomAttributes, tagText, type DicomAttribute } from './dicom-keywords.js';
import { runPipeline } from './itk-module.js';
import { seriesSlices, type DicomSeriesOptions } from './read-dicom.js';
import { firstSlice } from './slice-positions.js';

/**
 * One attribute's value: a number for numeric VRs (DS, IS, US), a string for text VRs (dates stay
 * `YYYYMMDD`, times `HHMMSS.FFFFFF`, names `Family^Given`), an array of either when the value has
 * several parts (ImageType, PixelSpacing, ImagePositionPatient), `null` when the file lacks the
 * attribute or its value is empty.
 */
export type DicomTagValue = string | number | readonly string[] | readonly number[] | null;

/** Keyword → value, for the keywords asked for (in that order). */
export type DicomTags = Readonly<Record<string, DicomTagValue>>;

const NUMERIC = new Set(['DS', 'IS', 'US']);

/** The value GDCM printed for one attribute, typed by its VR. */
function typedValue(raw: string | undefined, a: DicomAttribute, file: string): DicomTagValue {
  if (raw === undefined) return null;
  const parts = raw.split('\\').map((p) => p.replace(/\0/g, '').trim());
  if (parts.every((p) => p === '')) return null;
  if (!NUMERIC.has(a.vr)) return parts.length === 1 ? (parts[0] as string) : parts;
  const numbers = parts.map((p) => (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(p) ? Number(p) : NaN));
  if (numbers.some((n) => !Number.isFinite(n))) {
    throw new InputError(`DICOM attribute ${a.keyword} ${tagText(a)} (VR ${a.vr}) holds '${raw.trim()}', which is not ${parts.length === 1 ? 'a number' : 'a list of numbers'}`, {
      file,
    });
  }
  return numbers.length === 1 ? (numbers[0] as number) : numbers;
}

/** The bytes of the file whose attributes describe `path`: the file itself, or a series' first slice. */
async function sourceFile(path: string, options: DicomSeriesOptions): Promise<{ file: string; bytes: Uint8Array }> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    throw new InputError(`cannot read DICOM tags: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : String(err)}`, { file: path });
  }
  if (info.isDirectory()) {
    const first = firstSlice(path, await seriesSlices(path, options));
    if (first === undefined) throw new InputError('no DICOM files in the folder', { file: path });
    return { file: first.file, bytes: first.scan.bytes };
  }
  const raw = new Uint8Array(await readFile(path));
  return { file: path, bytes: looksLikeDicom(raw) ? scanDicom(raw, path).bytes : raw };
}

/**
 * Reads the attributes named by `keywords` on the calling thread (the wasm reader blocks it; `readDicomTags`
 * runs this on the IO pool). A folder is a series: the attributes come from its first slice along
 * the slice normal (the slice at the volume's index 0, so ImagePositionPatient is the volume's
 * origin); series-level attributes are the same in every slice.
 * @throws {OptionsError} for an unknown or repeated keyword (naming the closest known keywords).
 * @throws {InputError} naming the file: missing, not DICOM, or a numeric attribute that is not a number.
 */
export async function readDicomTagsLocal(path: string, keywords: readonly string[], options: DicomSeriesOptions = {}): Promise<DicomTags> {
  const attributes = dicomAttributes(keywords);
  const { file, bytes } = await sourceFile(path, options);
  const inner = '/fuseflow-in/tags.dcm';
  let out;
  try {
    out = await runPipeline({ pkg: 'dicom', pipeline: 'read-dicom-tags', args: [inner, '0', '--memory-io'], files: new Map([[inner, bytes]]), jsonOutputs: [0] });
  } catch (err) {
    throw new InputError(`GDCM could not read the DICOM attributes: ${err instanceof Error ? err.message : String(err)}`, { file });
  }
  const pairs = out.json.get(0);
  if (out.returnValue !== 0 || !Array.isArray(pairs)) {
    const why = out.stderr.trim() || 'not a DICOM file';
    throw new InputError(`cannot read DICOM attributes (${why})`, { file });
  }
  const byTag = new Map<string, string>();
  for (const pair of pairs as unknown[]) {
    if (Array.isArray(pair) && typeof pair[0] === 'string' && typeof pair[1] === 'string') byTag.set(pair[0].toLowerCase(), pair[1]);
  }
  const hex = (n: number): string => n.toString(16).padStart(4, '0');
  const tags: Record<string, DicomTagValue> = {};
  for (const a of attributes) tags[a.keyword] = typedValue(byTag.get(`${hex(a.group)}|${hex(a.element)}`), a, file);
  return tags;
}
