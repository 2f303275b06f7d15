// Test helper: a plain worker thread (as a worker runner would start) that reads images with
// readImage. Registers tsx itself because Node 20 ignores `--import` in worker execArgv.
import { register } from 'tsx/esm/api';
import { parentPort, workerData } from 'node:worker_threads';

register();
const { readImage } = await import('../../../../src/ops/image/io/read-image.ts');
const { ioPoolStats } = await import('../../../../src/ops/image/io/io-pool.ts');
const { loadedPipelineCount } = await import('../../../../src/ops/image/io/itk-module.ts');

const shapes = [];
for (const path of workerData.paths) shapes.push((await readImage(path)).shape);
parentPort.postMessage({ shapes, poolCreated: ioPoolStats().created, loaded: loadedPipelineCount() });
