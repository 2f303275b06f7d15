/**
 * Static cache and dynamic stage benchmark (issue 4). On real volumes from ../shared/data/volumes
 * (KmeansTest T1, ch2, ch2bet, anatomical.nii) repeated as many ids, with the static pipeline
 * lookup path → image.load → image.resample (1.5 mm) → image.zScoreIntensity, it prints:
 * - fill time (2 worker threads);
 * - epoch 2 from the cache vs recomputing the static pipeline (bar ≥ 20×; both warmed up, then
 *   timed over the same 12 interleaved rounds, medians compared);
 * - cached read MB/s vs a raw LMDB read of the same bytes (bar ≥ 0.5×);
 * - the dynamic stage (randAffine + randGaussianNoise) on 2 workers vs 1 (bar ≥ 1.7×);
 * - peak RSS while 4 worker threads read the cache vs 1 (bar < 1.5×).
 * Usage: npm run bench -- cache [IDS] [DYNAMIC_IDS]   (defaults 64 and 24)
 *
 * The RSS bar compares whole-process RSS, which holds the LMDB pages once (shared by the
 * threads) plus a fixed cost per thread (isolate, tsx, lmdb, read buffers awaiting GC); the rows
 * also show the per-thread increase so the two parts can be told apart.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { open } from 'lmdb';
import { CACHE_FILES, openSampleCache, payloadKeyOf } from '../src/cache/index.js';
import { fingerprint } from '../src/core/fingerprint.js';
import { createSample, type Sample } from '../src/core/sample.js';
import { randAffine, randGaussianNoise, resample, zScoreIntensity } from '../src/ops/image/index.js';
import { loadImage } from '../src/ops/image/load-image.js';
import { lookup } from '../src/ops/keys/lookup.js';
import { pipeline, pipelineSpec, runPipeline } from '../src/ops/pipeline.js';
import { createWorkerRunner } from '../src/workers/worker-runner.js';
import { median, report, timeRuns, type BenchRow } from './lib/report.js';

const dataDir = process.env.FUSEFLOW_DATA ?? fileURLToPath(new URL('../../shared/data/volumes', import.meta.url));
const files = ['KmeansTest_T1UCharRaw.nii.gz', 'ch2.nii.gz', 'ch2bet.nii.gz', 'anatomical.nii'];
if (!files.every((f) => existsSync(join(dataDir, f)))) {
  console.log(`bench cache: skipped — the volumes are not in ${dataDir} (set FUSEFLOW_DATA)`);
  process.exit(0);
}
const count = Number(process.argv[2] ?? 64);
const dynamicCount = Math.min(count, Number(process.argv[3] ?? 24));
const ids = Array.from({ length: count }, (_, i) => `vol ${i}/${files[i % files.length]}`);
const paths = Object.fromEntries(ids.map((id, i) => [id, files[i % files.length] as string]));
const staticP = pipeline(
  [
    lookup({ inKey: 'data.sampleId', outKey: 'data.path', map: paths }),
    loadImage({ key: 'data.path', outKey: 'img', dir: dataDir }),
    resample({ keys: ['img'], spacing: 1.5 }),
    zScoreIntensity({ keys: ['img'] }),
  ],
  { name: 'static' },
);
const dynamicP = pipeline([randAffine({ keys: ['img'], prob: 1, rotateRange: 0.25, scaleRange: 0.1 }), randGaussianNoise({ keys: ['img'], prob: 1, std: 0.1 })], {
  name: 'dynamic',
  opIndexBase: staticP.ops.length,
});
const root = mkdtempSync(join(tmpdir(), 'ff-bench-cache-'));
const rows: BenchRow[] = [];
const MiB = 2 ** 20;
try {
  const cache = openSampleCache({ dir: root, pipeline: staticP, audit: false });
  const t0 = performance.now();
  await cache.fill(ids, { threads: 2, idsPerTask: 1 });
  const fillMs = performance.now() - t0;
  const status = cache.status();
  rows.push({ name: `fill ${count} ids (2 threads)`, value: fillMs / 1000, unit: 's', note: `${(status.payloadBytes / MiB).toFixed(0)} MiB of payload` });

  // Epoch 2: read everything back vs recompute the static pipeline; the raw LMDB read of the same
  // payload bytes is timed alternately with the cached read so both see the same load.
  const readEpoch = async (): Promise<number> => {
    let bytes = 0;
    for (const id of ids) for (const s of (await cache.get(id)) ?? []) bytes += (s as { img: { data: ArrayBufferView } }).img.data.byteLength;
    return bytes;
  };
  const env = open({ path: join(cache.folder, CACHE_FILES.store), maxDbs: 4, readOnly: true });
  const payloads = env.openDB<Buffer, string>({ name: 'payloads', encoding: 'binary' });
  // The same payloads in the same order as the cached read (LMDB key order would be faster: the
  // values sit in key order in the file).
  const keys = ids.flatMap((id) => (cache.entry(id)?.outputs ?? []).map((_, i) => payloadKeyOf(id, i)));
  const rawRead = (): number => {
    let bytes = 0;
    for (const k of keys) bytes += payloads.getBinary(k)?.byteLength ?? 0;
    return bytes;
  };
  const recomputeEpoch = async (): Promise<void> => {
    for (const id of ids) await runPipeline(staticP, createSample(id), { seed: 0, epoch: 0 });
  };
  // Every measure is warmed up once (IO pool, itk-wasm modules, page cache, JIT), then timed the
  // same number of rounds, the three interleaved so each sees the same background load.
  await readEpoch();
  rawRead();
  await recomputeEpoch();
  const ROUNDS = 12;
  const cachedTimes: number[] = [];
  const rawTimes: number[] = [];
  const recomputeTimes: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Swap which goes first each round: garbage left by one pass is collected during the next.
    if (r % 2 === 0) rawTimes.push(...(await timeRuns(1, rawRead)));
    cachedTimes.push(...(await timeRuns(1, readEpoch)));
    if (r % 2 === 1) rawTimes.push(...(await timeRuns(1, rawRead)));
    recomputeTimes.push(...(await timeRuns(1, recomputeEpoch)));
  }
  const cachedMs = median(cachedTimes);
  const rawMs = median(rawTimes);
  await env.close();
  const recomputeMs = median(recomputeTimes);
  rows.push({ name: `epoch from cache (median of ${ROUNDS}, warm)`, value: cachedMs, unit: 'ms', note: `${(cachedMs / count).toFixed(2)} ms per id` });
  rows.push({
    name: `epoch recomputing static (median of ${ROUNDS}, warm)`,
    value: recomputeMs,
    unit: 'ms',
    ratio: recomputeMs / cachedMs,
    ratioOf: 'x slower than cache',
    bar: '>= 20',
    pass: recomputeMs / cachedMs >= 20,
    note: `${(recomputeMs / count).toFixed(1)} ms per id`,
  });
  const rawMBs = status.payloadBytes / MiB / (rawMs / 1000);
  const cachedMBs = status.payloadBytes / MiB / (cachedMs / 1000);
  rows.push({ name: 'raw LMDB getBinary', value: rawMBs, unit: 'MiB/s' });
  rows.push({
    name: 'cached read (get + checksum + decode)',
    value: cachedMBs,
    unit: 'MiB/s',
    ratio: cachedMBs / rawMBs,
    ratioOf: 'of raw',
    bar: '>= 0.5',
    pass: cachedMBs / rawMBs >= 0.5,
  });

  // Dynamic stage: 1 vs 2 worker threads on the cached volumes, timed alternately so both see
  // the same background load; inputs are read before the clock starts. One volume per task: the
  // volumes differ in size (T1 3.6 M voxels after resampling, ch2 2.1 M, anatomical far fewer), and
  // several per task would leave one thread idle at the end.
  const dynTimes: Record<number, number[]> = { 1: [], 2: [] };
  const dynCpu: Record<number, number[]> = { 1: [], 2: [] }; // process CPU seconds per wall second
  const prints: Record<number, string> = {};
  const runners = {
    1: createWorkerRunner({ pipeline: pipelineSpec(dynamicP), threads: 1, samplesPerTask: 1 }),
    2: createWorkerRunner({ pipeline: pipelineSpec(dynamicP), threads: 2, samplesPerTask: 1 }),
  };
  const dynamicInputs = async (): Promise<Sample[]> => {
    const inputs: Sample[] = [];
    for (const id of ids.slice(0, dynamicCount)) inputs.push(...((await cache.get(id)) ?? []));
    return inputs;
  };
  for (const threads of [1, 2] as const) await runners[threads].run((await dynamicInputs()).slice(0, 2 * threads), { seed: 11, epoch: 0 }); // warm
  for (let r = 0; r < 3; r++) {
    for (const threads of [1, 2] as const) {
      const inputs = await dynamicInputs();
      const t = performance.now();
      const cpu = process.cpuUsage();
      const out = await runners[threads].run(inputs, { seed: 11, epoch: 1 });
      const wall = performance.now() - t;
      const used = process.cpuUsage(cpu);
      (dynTimes[threads] as number[]).push(wall);
      (dynCpu[threads] as number[]).push((used.user + used.system) / 1000 / wall);
      prints[threads] = fingerprint(out);
    }
  }
  await Promise.all([runners[1].close(), runners[2].close()]);
  const dyn = { 1: median(dynTimes[1] as number[]), 2: median(dynTimes[2] as number[]) };
  const speedup = dyn[1] / dyn[2];
  const cores = (t: 1 | 2): string => `${median(dynCpu[t] as number[]).toFixed(2)} cores busy (process CPU / wall)`;
  rows.push({ name: `dynamic stage, ${dynamicCount} samples, 1 worker`, value: dyn[1], unit: 'ms', note: cores(1) });
  rows.push({
    name: `dynamic stage, ${dynamicCount} samples, 2 workers`,
    value: dyn[2],
    unit: 'ms',
    ratio: speedup,
    ratioOf: 'x faster than 1',
    bar: '>= 1.7',
    pass: speedup >= 1.7,
    note: `${cores(2)}; ${prints[1] === prints[2] ? 'same bytes on 1 and 2' : 'OUTPUTS DIFFER'}`,
  });
  await cache.close();

  // Peak RSS while N threads read the one cache (separate processes, so nothing carries over).
  const rss: Record<number, number> = {};
  const idle: Record<number, number> = {};
  const mapped: Record<number, { mdbMappings: number; mdbRss: number }> = {};
  for (const threads of [1, 4]) {
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./lib/cache-rss-child.ts', import.meta.url)), cache.folder, String(threads), JSON.stringify(ids)],
      { encoding: 'utf8' },
    );
    if (child.status !== 0) throw new Error(`rss child failed: ${child.stderr}`);
    const line = child.stdout.trim().split('\n').pop() ?? '{}';
    const got = JSON.parse(line) as { peakRss: number; startRss: number; mdbMappings: number; mdbRss: number };
    rss[threads] = got.peakRss;
    mapped[threads] = got;
    idle[threads] = got.startRss;
  }
  const rssRatio = (rss[4] as number) / (rss[1] as number);
  rows.push({
    name: 'peak RSS, 1 reader thread',
    value: (rss[1] as number) / MiB,
    unit: 'MiB',
    note: `${(((rss[1] as number) - (idle[1] as number)) / MiB).toFixed(0)} MiB above the process before its pool`,
  });
  rows.push({
    name: 'peak RSS, 4 reader threads',
    value: (rss[4] as number) / MiB,
    unit: 'MiB',
    ratio: rssRatio,
    ratioOf: 'x of 1 reader',
    bar: '< 1.5',
    pass: rssRatio < 1.5,
    note: `cache ${(status.payloadBytes / MiB).toFixed(0)} MiB read twice per thread; +${(((rss[4] as number) - (rss[1] as number)) / 3 / MiB).toFixed(0)} MiB per extra thread`,
  });
  for (const t of [1, 4]) {
    const m = mapped[t] as { mdbMappings: number; mdbRss: number };
    rows.push({ name: `LMDB file resident, ${t} reader thread${t > 1 ? 's' : ''}`, value: m.mdbRss / MiB, unit: 'MiB', note: `mapped ${m.mdbMappings} time(s) in the process` });
  }
  report('cache', rows, { ids: count, files, payloadBytes: status.payloadBytes });
} finally {
  rmSync(root, { recursive: true, force: true });
}
