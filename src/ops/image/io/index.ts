/**
 * Image reading and writing with itk-wasm, off the event loop: `readImage`/`writeImage` run on a
 * shared piscina pool from the main thread and inline on worker threads. The `image.load` op that
 * uses them is `loadImage` in `src/ops/image/load-image.ts`.
 */
export { readImage } from './read-image.js';
export { writeImage } from './write-image.js';
export { readImageLocal, type ReadImageOptions } from './read-image-local.js';
export { writeImageLocal, type WriteImageOptions } from './write-image-local.js';
export type { DicomSeriesOptions } from './read-dicom.js';
export { readDicomTags } from './dicom-tags.js';
export { readDicomTagsLocal, type DicomTagValue, type DicomTags } from './dicom-tags-local.js';
export { dicomKeywords, type DicomAttribute, type DicomVr } from './dicom-keywords.js';
export { configureIoPool, closeIoPool, ioPoolStats, type IoPoolOptions } from './io-pool.js';
export { fromItkImage, toItkImage } from './itk-image.js';
export type { ItkImage, ItkImageJson } from './itk-module.js';
