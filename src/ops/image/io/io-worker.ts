/**
 * The image IO worker (a piscina worker module). Each worker thread keeps its own itk-wasm
 * modules, loaded on first use. Results come back with the pixel buffer in the transfer list (no
 * copy); failures come back as values, so a bad file never crashes the worker.
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import type { Image } from '../../../core/image.js';
import { readImageLocal, type ReadImageOptions } from './read-image-local.js';
import { writeImageLocal, type WriteImageOptions } from './write-image-local.js';
import { readDicomTagsLocal, type DicomTags } from './dicom-tags-local.js';
import type { DicomSeriesOptions } from './read-dicom.js';
import type { IoReply } from './io-reply.js';
import { replyError } from './io-reply.js';

/** A read request. */
export interface ReadTask {
  readonly path: string;
  readonly options: ReadImageOptions;
}

/** A write request (the image arrives as a structured-clone copy; the caller's stays intact). */
export interface WriteTask {
  readonly image: Image;
  readonly path: string;
  readonly options: WriteImageOptions;
}

/** A request for DICOM attributes by keyword. */
export interface TagsTask {
  readonly path: string;
  readonly keywords: readonly string[];
  readonly options: DicomSeriesOptions;
}

/** Reads DICOM attributes (plain strings and numbers: the reply is a small copy). */
export async function tagsTask(task: TagsTask): Promise<IoReply<DicomTags>> {
  try {
    return { ok: true, value: await readDicomTagsLocal(task.path, task.keywords, task.options) };
  } catch (err) {
    return replyError(err);
  }
}

/** Reads an image; the reply moves the pixel buffer to the caller. */
export async function readTask(task: ReadTask): Promise<IoReply<Image> | object> {
  try {
    const image = await readImageLocal(task.path, task.options);
    const reply: IoReply<Image> = { ok: true, value: image };
    return move({ [transferableSymbol]: [image.data.buffer], [valueSymbol]: reply });
  } catch (err) {
    return replyError(err);
  }
}

/** Writes an image. */
export async function writeTask(task: WriteTask): Promise<IoReply<null>> {
  try {
    await writeImageLocal(task.image, task.path, task.options);
    return { ok: true, value: null };
  } catch (err) {
    return replyError(err);
  }
}
