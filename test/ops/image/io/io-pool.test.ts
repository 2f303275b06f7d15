/**
 * The image IO pool: reads leave the main thread, buffers come back transferred, the pool is
 * bounded and never keeps the process alive, wasm modules load once per thread, and a read on a
 * worker thread runs inline instead of bouncing to the pool.
 */
import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { closeIoPool, configureIoPool, ioPoolStats } from '../../../../src/ops/image/io/io-pool.js';
import { loadedPipelineCount } from '../../../../src/ops/image/io/itk-module.js';
import { readImage } from '../../../../src/ops/image/io/read-image.js';
import { OptionsError } from '../../../../src/core/errors.js';

const T1 = 'test/fixtures/volumes/KmeansTest_T1UCharRaw.nii.gz';
const MASK = 'test/fixtures/volumes/KmeansTest_T1RawSkullStrip.nii.gz';

afterAll(async () => {
  await configureIoPool({});
  await closeIoPool();
});

describe('image IO pool', () => {
  it('reads from the main thread run on the pool: no wasm module is loaded here, buffers arrive as plain ArrayBuffers', async () => {
    const img = await readImage(T1);
    expect(img.shape).toEqual([62, 128, 128]);
    expect(loadedPipelineCount()).toBe(0);
    expect(ioPoolStats().created).toBe(true);
    expect(img.data.buffer).toBeInstanceOf(ArrayBuffer);
    expect(img.data.buffer.byteLength).toBe(img.data.byteLength); // exactly the pixels: no wasm heap, no shared memory
  });

  it('is bounded: at most maxPending reads are out at once, the rest wait their turn', async () => {
    await configureIoPool({ threads: 1, maxPending: 2 });
    let maxSeen = 0;
    let done = false;
    const watch = (async () => {
      while (!done) {
        maxSeen = Math.max(maxSeen, ioPoolStats().pending);
        await new Promise((r) => setImmediate(r));
      }
    })();
    const images = await Promise.all(Array.from({ length: 6 }, (_, i) => readImage(i % 2 === 0 ? T1 : MASK)));
    done = true;
    await watch;
    expect(images.map((im) => im.dtype)).toEqual(['int16', 'uint8', 'int16', 'uint8', 'int16', 'uint8']);
    expect(maxSeen).toBe(2);
    expect(ioPoolStats()).toMatchObject({ threads: 1, maxPending: 2, pending: 0 });
  });

  it('rejects bad settings when configured', async () => {
    await expect(configureIoPool({ threads: 0 })).rejects.toBeInstanceOf(OptionsError);
    await expect(configureIoPool({ maxPending: 1.5 })).rejects.toBeInstanceOf(OptionsError);
  });

  it('on a worker thread, readImage reads inline (no pool there) and loads each wasm module once', async () => {
    const worker = new Worker(new URL('./inline-worker.mjs', import.meta.url), { workerData: { paths: [T1, MASK, T1] } });
    const reply = await new Promise<{ shapes: number[][]; poolCreated: boolean; loaded: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(reply.shapes).toEqual([
      [62, 128, 128],
      [62, 128, 128],
      [62, 128, 128],
    ]);
    expect(reply.poolCreated).toBe(false);
    expect(reply.loaded).toBe(1); // three NIfTI reads, one nifti-read-image instance
  });

  it('does not keep the process alive: a script that never closes the pool exits by itself', () => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', 'test/ops/image/io/exit-child.ts'], { encoding: 'utf8', timeout: 50_000 });
    expect(child.signal).toBeNull();
    expect(child.status).toBe(0);
    expect(child.stdout).toContain('read 62x128x128');
  });
});
