/**
 * Image reading and writing with itk-wasm, off the event loop: `readImage`/`writeImage` run on a
 * shared piscina pool from the main thread and inline on worker threads.
 */
export { readImage } from './read-image.js';
export { writeImage } from './write-image.js';
export { readImageLocal, type ReadImageOptions } from './read-image-local.js';
export { writeImageLocal, type WriteImageOptions } from './write-image-local.js';
export { readDicomFile, readDicomSeries, type DicomSeriesOptions } from './read-dicom.js';
export { scanDicom, looksLikeDicom, type DicomScan } from './dicom-file.js';
export { configureIoPool, closeIoPool, ioPoolStats, type IoPoolOptions } from './io-pool.js';
export { fromItkImage, toItkImage } from './itk-image.js';
export { loadedPipelineCount, type ItkImage, type ItkImageJson } from './itk-module.js';
export { ioForPath, type ImageIoName } from './image-formats.js';
