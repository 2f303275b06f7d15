/**
 * Image IO benchmark (issue 3): MB/s of reading ch2.nii.gz (181×217×181) and a 10^8-voxel volume
 * written here; read + resample to 1.5 mm + z-score on 1 and 2 worker threads (the stream's worker
 * runner running loadImage → resample → zScore), with the ratio; and the main thread's event-loop
 * delay (max, p99) while 8 volumes are read through the IO pool, against reading them inline.
 *
 * MB/s counts voxel bytes delivered (decompressed), not file bytes. The 10^8-voxel volume is
 * written once to bench/.data/ (gitignored) and reused. `--keep-large=false` deletes it after.
 */
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { createImage, type Image } from '../src/core/image.js';
import { createSample, setKey, type Sample } from '../src/core/sample.js';
import { closeIoPool, configureIoPool } from '../src/ops/image/io/io-pool.js';
import { readImage } from '../src/ops/image/io/read-image.js';
import { readImageLocal } from '../src/ops/image/io/read-image-local.js';
import { writeImage } from '../src/ops/image/io/write-image.js';
import { loadImage } from '../src/ops/image/load-image.js';
import { resample } from '../src/ops/image/resample.js';
import { zScoreIntensity } from '../src/ops/image/z-score-intensity.js';
import { pipeline, pipelineSpec } from '../src/ops/pipeline.js';
import { createWorkerRunner } from '../src/workers/worker-runner.js';
import { median, report, timeRuns, type BenchRow } from './lib/report.js';

const here = dirname(fileURLToPath(import.meta.url));
const CH2 = join(here, '..', '..', 'shared', 'data', 'volumes', 'ch2.nii.gz');
const DATA = join(here, '.data');
const LARGE = join(DATA, 'synthetic-1e8-int16.nii');
const LARGE_SIZE = [500, 500, 400]; // 10^8 voxels, int16: 200 MB
const keepLarge = !process.argv.includes('--keep-large=false');
const rows: BenchRow[] = [];
const mb = (img: Image): number => img.data.byteLength / 1e6;

/** Speed-up of a fixed CPU-bound loop on 2 threads vs 1, measured now: what this machine's load leaves for parallelism. */
async function cpuHeadroom(): Promise<number> {
  const code = `const { parentPort } = require('node:worker_threads'); let x = 0; for (let i = 0; i < 1e8; i++) x = (x + i * 2654435761) % 1000003; parentPort.postMessage(x);`;
  const spin = (n: number): Promise<unknown[]> =>
    Promise.all(Array.from({ length: n }, () => new Promise((ok, fail) => new Worker(code, { eval: true }).once('message', ok).once('error', fail))));
  const t1 = median(
    await timeRuns(3, async () => {
      await spin(1);
      await spin(1);
    }),
  );
  const t2 = median(await timeRuns(3, () => spin(2)));
  return t1 / t2;
}

if (!existsSync(CH2)) {
  console.log(`skipping the ch2 measurements: ${CH2} is absent (it comes from ../shared/data/volumes)`);
} else {
  await configureIoPool({ threads: 2 });
  const ch2 = await readImage(CH2); // warm-up: starts a worker and loads the NIfTI module
  const tRead = median(await timeRuns(7, () => readImage(CH2)));
  rows.push({
    name: 'read ch2.nii.gz (181x217x181 uint8) via IO pool',
    value: mb(ch2) / (tRead / 1000),
    unit: 'MB/s',
    note: `${tRead.toFixed(0)} ms per read, ${(statSync(CH2).size / 1e6).toFixed(1)} MB gzip`,
  });

  // reads alone, 8 volumes through the IO pool with 1 and 2 threads
  const readsOn = async (threads: number): Promise<number> => {
    await configureIoPool({ threads });
    await Promise.all(Array.from({ length: threads }, () => readImage(CH2))); // warm-up
    return median(await timeRuns(3, () => Promise.all(Array.from({ length: 8 }, () => readImage(CH2)))));
  };
  const r1 = await readsOn(1);
  const r2 = await readsOn(2);
  rows.push({ name: 'read only, 8 volumes, IO pool 2 threads vs 1', value: r1 / r2, unit: 'x', note: `${r1.toFixed(0)} ms vs ${r2.toFixed(0)} ms` });

  // read + resample 1.5 mm + z-score through the stream's worker runner, 1 and 2 threads
  const spec = pipelineSpec(
    pipeline([loadImage({ key: 'data.path', outKey: 'data.img' }), resample({ keys: ['data.img'], spacing: 1.5 }), zScoreIntensity({ keys: ['data.img'] })]),
  );
  const volumes = 8;
  const samples = (): Sample[] => Array.from({ length: volumes }, (_, i) => setKey(createSample(`ch2-${i}`), 'data.path', CH2));
  const perThreads = new Map<number, number>();
  for (const threads of [1, 2]) {
    const runner = createWorkerRunner({ pipeline: spec, threads, samplesPerTask: 1, maxTasksInFlight: 2 * threads });
    // warm-up: a full round, so every worker has started and loaded its modules (piscina may give
    // a short warm-up round to one thread only)
    await runner.run(samples(), { seed: 0, epoch: 0 });
    const t = median(await timeRuns(5, () => runner.run(samples(), { seed: 0, epoch: 0 })));
    await runner.close();
    perThreads.set(threads, t);
    rows.push({
      name: `read + resample 1.5 mm + z-score, ${threads} worker${threads > 1 ? 's' : ''}`,
      value: (volumes * mb(ch2)) / (t / 1000),
      unit: 'MB/s',
      note: `${volumes} volumes in ${t.toFixed(0)} ms`,
    });
  }
  const ratio = (perThreads.get(1) as number) / (perThreads.get(2) as number);
  const headroom = await cpuHeadroom();
  rows.push({
    name: '2 workers vs 1 (read + resample + z-score)',
    value: ratio,
    unit: 'x',
    bar: '>= 1.7',
    pass: ratio >= 1.7,
    note: `same-run calibration: a pure busy loop gets ${headroom.toFixed(2)}x from 2 threads here`,
  });

  // event-loop delay on the main thread while 8 volumes are read: IO pool vs inline reads
  for (const mode of ['IO pool', 'inline (baseline)'] as const) {
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    if (mode === 'IO pool') await Promise.all(Array.from({ length: 8 }, () => readImage(CH2)));
    else for (let i = 0; i < 8; i++) await readImageLocal(CH2);
    h.disable();
    const p99 = h.percentile(99) / 1e6;
    const max = h.max / 1e6;
    rows.push({ name: `event-loop delay p99, 8 reads, ${mode}`, value: p99, unit: 'ms', ...(mode === 'IO pool' ? { bar: '< 20', pass: p99 < 20 } : {}) });
    rows.push({ name: `event-loop delay max, 8 reads, ${mode}`, value: max, unit: 'ms' });
  }
}

// the 10^8-voxel volume
if (!existsSync(LARGE)) {
  mkdirSync(DATA, { recursive: true });
  const [nx, ny, nz] = LARGE_SIZE as [number, number, number];
  const data = new Int16Array(nx * ny * nz);
  for (let z = 0, i = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++, i++) data[i] = ((x * 7 + y * 13 + z * 29) % 2000) - 1000;
  const t0 = performance.now();
  await writeImage(createImage('int16', LARGE_SIZE, data, { spacing: [0.5, 0.5, 0.6] }), LARGE);
  console.log(`wrote ${LARGE} (${(statSync(LARGE).size / 1e6).toFixed(0)} MB) in ${(performance.now() - t0).toFixed(0)} ms`);
}
await configureIoPool({ threads: 1 });
const large = await readImage(LARGE);
const tLarge = median(await timeRuns(3, () => readImage(LARGE)));
rows.push({ name: 'read 10^8-voxel int16 .nii (500x500x400) via IO pool', value: mb(large) / (tLarge / 1000), unit: 'MB/s', note: `${tLarge.toFixed(0)} ms per read` });
await closeIoPool();
if (!keepLarge) rmSync(LARGE, { force: true });

report('imaging', rows, { note: 'shared 2-core machine: other sessions ran at the same time; MB/s counts decompressed voxel bytes' });
