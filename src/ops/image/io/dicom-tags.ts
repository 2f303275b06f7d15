/**
 * Reads DICOM attributes by keyword off the event loop: on the shared image IO pool from the main
 * thread, inline on a worker thread (see `dicom-tags-local.ts` for the reading itself).
 */
import { isMainThread } from 'node:worker_threads';
import { dicomAttributes } from './dicom-keywords.js';
import { readDicomTagsLocal, type DicomTags } from './dicom-tags-local.js';
import { runIoTask } from './io-pool.js';
import { unwrapReply } from './io-reply.js';
import type { DicomSeriesOptions } from './read-dicom.js';

/**
 * Reads DICOM attributes by keyword from a DICOM file or a series folder, off the event loop (on
 * the shared image IO pool from the main thread, inline on a worker thread).
 *
 * @example
 * const tags = await readDicomTags('scans/patient-7/', ['PatientID', 'Modality', 'SliceThickness']);
 * // { PatientID: '123565', Modality: 'MR', SliceThickness: 5 }
 * @throws {OptionsError} for an unknown keyword, naming the closest known ones.
 * @throws {InputError} naming the file: missing, not DICOM, a folder with several series (pick one
 *   with `seriesUid`), a damaged series, a numeric attribute that is not a number.
 */
export async function readDicomTags(path: string, keywords: readonly string[], options: DicomSeriesOptions = {}): Promise<DicomTags> {
  dicomAttributes(keywords); // an unknown keyword fails here, before any file is touched
  if (!isMainThread) return readDicomTagsLocal(path, keywords, options);
  return unwrapReply(await runIoTask<DicomTags>('tagsTask', { path, keywords, options }));
}
