/**
 * AUC + AUC-PR (exact: one score histogram whose first pass keeps each row's 16-bit key, so its
 * refinement is folded from memory without a second read, src/eval/metrics/histogram-kept.ts) + a 1,000-replicate
 * bootstrap CI of both, on 10^6, 10^7 and 10^8 predictions streamed from an Arrow IPC file
 * through `evaluate`, next to the time to merely stream-read the same file (the baseline), and
 * scikit-learn's `roc_auc_score` on 10^6 and 10^7 in the same run when python3 has it. Every
 * measured case runs in its own process, so its peak RSS (getrusage maxrss) is its own.
 *
 * With 1, 2 and 8 worker threads (`evaluate({ metrics: recipe, threads })`; from the Arrow file
 * the threads read their record batches themselves) on the largest size, with each case's CPU
 * seconds (all threads), next to a same-run calibration: a pure busy loop split over 1 and 2 threads, so a reader can tell a
 * loaded machine (the busy loop does not scale either) from poor scaling of the evaluation.
 *
 *   npx tsx bench/run.ts eval [--sizes 1e6,1e7,1e8] [--keep]
 *
 * Data: bench/.data/eval-N.arrow (float32 `pred`, int8 `target`, record batches of 2^20 rows),
 * generated from the counter-based Rng, deleted after the run unless --keep.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Field, Float32, Int8, RecordBatch, RecordBatchFileWriter, Schema, Struct, makeData } from 'apache-arrow';
import { Rng } from '../src/core/rng.js';
import { evaluate } from '../src/eval/evaluate.js';
import { arrowSource } from '../src/eval/sources/arrow-source.js';
import { bootstrapCi } from '../src/eval/ci/bootstrap-ci.js';
import { aucRocPr } from '../src/eval/metrics/auc-roc-pr.js';
import { report, type BenchRow } from './lib/report.js';
import { Worker } from 'node:worker_threads';
import { loadavg } from 'node:os';

const self = fileURLToPath(import.meta.url);
const dataDir = join(dirname(self), '.data');
const BATCH = 1 << 20;

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Writes N rows: target ~ Bernoulli(0.3); pred = a float32 score, higher for positives, 1/4096 grid (ties). */
async function generate(file: string, n: number, rawPrefix?: string): Promise<void> {
  const schema = new Schema([new Field('pred', new Float32(), false), new Field('target', new Int8(), false)]);
  const writer = new RecordBatchFileWriter();
  const out = createWriteStream(file);
  const done = new Promise<void>((resolve, reject) => {
    out.on('finish', resolve);
    out.on('error', reject);
  });
  writer.toNodeStream().pipe(out);
  const rawPred = rawPrefix === undefined ? undefined : createWriteStream(`${rawPrefix}.pred.f32`);
  const rawTarget = rawPrefix === undefined ? undefined : createWriteStream(`${rawPrefix}.target.i8`);
  const rng = Rng.fromParts([2026, 'bench-eval', n]);
  for (let start = 0; start < n; start += BATCH) {
    const len = Math.min(BATCH, n - start);
    const pred = new Float32Array(len);
    const target = new Int8Array(len);
    for (let i = 0; i < len; i++) {
      const y = rng.nextU32() < 0x4ccccccd ? 1 : 0;
      const u = rng.nextU32() / 4294967296;
      const v = rng.nextU32() / 4294967296;
      target[i] = y;
      pred[i] = Math.round((0.55 * u + 0.45 * (y ? v : v * v)) * 4096 * 64) / (4096 * 64);
    }
    const struct = makeData({
      type: new Struct(schema.fields),
      length: len,
      children: [makeData({ type: new Float32(), length: len, data: pred }), makeData({ type: new Int8(), length: len, data: target })],
    });
    writer.write(new RecordBatch(schema, struct));
    rawPred?.write(Buffer.from(pred.buffer));
    rawTarget?.write(Buffer.from(target.buffer));
  }
  writer.finish();
  await done;
  await Promise.all([rawPred, rawTarget].map((s) => (s === undefined ? Promise.resolve() : new Promise<void>((r) => s.end(r)))));
}

/** Child: one measured case; prints one JSON line. */
async function child(mode: string, file: string, shards: number): Promise<void> {
  const t0 = performance.now();
  let value: unknown;
  let passes = 1;
  if (mode === 'busy') {
    value = await busyLoop(shards);
  } else if (mode === 'threads') {
    const recipe = { module: new URL('./lib/eval-ranking.ts', import.meta.url).href, exportName: 'rankingCi', args: [1000] };
    const r = await evaluate({ data: file, metrics: recipe, batchSize: BATCH, threads: shards });
    value = { metrics: r.metrics['ranking'], status: r.status['ranking'] };
    passes = r.passes;
  } else if (mode === 'read') {
    let rows = 0;
    await arrowSource(file).scan(BATCH, (b) => {
      rows += b.length;
    });
    value = rows;
  } else {
    const metric = bootstrapCi({ metric: aucRocPr({ pred: 'pred', target: 'target' }), replicates: 1000, seed: 1234, name: 'ranking' });
    const r = await evaluate({ data: file, metrics: [metric], batchSize: BATCH, shards });
    value = { metrics: r.metrics['ranking'], status: r.status['ranking'] };
    passes = r.passes;
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage();
  console.log(JSON.stringify({ ms, maxRssMb: process.resourceUsage().maxRSS / 1024, cpuS: (cpu.user + cpu.system) / 1e6, value, passes }));
}

/** Busy-loop work units of the calibration (about 1 s on one core). */
const BUSY_UNITS = 16;
const BUSY_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
let x = 0;
for (let u = 0; u < workerData; u++) for (let i = 0; i < 4e6; i++) x = (x * 1103515245 + 12345) % 2147483648;
parentPort.postMessage(x);
`;

/** Runs BUSY_UNITS units of a pure integer loop split over `threads` worker threads; resolves when all are done. */
async function busyLoop(threads: number): Promise<number> {
  const share = Array.from({ length: threads }, (_, t) => Math.floor(BUSY_UNITS / threads) + (t < BUSY_UNITS % threads ? 1 : 0));
  const out = await Promise.all(
    share.map(
      (units) =>
        new Promise<number>((resolve, reject) => {
          const w = new Worker(BUSY_CODE, { eval: true, workerData: units });
          w.once('message', (x: number) => {
            resolve(x);
            void w.terminate();
          });
          w.once('error', reject);
        }),
    ),
  );
  return out.reduce((a, b) => a + b, 0);
}

interface ChildResult {
  readonly ms: number;
  readonly maxRssMb: number;
  /** CPU seconds of the process, all threads (user + system). */
  readonly cpuS: number;
  readonly value: unknown;
  readonly passes: number;
}

function runChild(mode: string, file: string, shards = 1): ChildResult {
  const r = spawnSync(process.execPath, [...process.execArgv, self, '--child', mode, file, String(shards)], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`child ${mode} ${file} failed: ${r.stderr}`);
  const last = r.stdout.trim().split('\n').pop() as string;
  return JSON.parse(last) as ChildResult;
}

function sklearnAuc(prefix: string): { ms: number; auc: number } | string {
  const py = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import sklearn'], { encoding: 'utf8' }).status === 0);
  if (py === undefined) return 'python3 with scikit-learn not found: skipped';
  const code = [
    'import sys, time, json, numpy as np',
    'from sklearn.metrics import roc_auc_score',
    'p = np.fromfile(sys.argv[1] + ".pred.f32", dtype=np.float32); y = np.fromfile(sys.argv[1] + ".target.i8", dtype=np.int8)',
    't0 = time.perf_counter(); a = roc_auc_score(y, p); ms = (time.perf_counter() - t0) * 1000',
    'print(json.dumps({"ms": ms, "auc": a}))',
  ].join('\n');
  const r = spawnSync(py, ['-c', code, prefix], { encoding: 'utf8' });
  if (r.status !== 0) return `scikit-learn failed: ${r.stderr.slice(0, 200)}`;
  return JSON.parse(r.stdout.trim()) as { ms: number; auc: number };
}

async function main(): Promise<void> {
  const sizes = (argValue('--sizes') ?? '1e6,1e7,1e8').split(',').map(Number);
  const keep = process.argv.includes('--keep');
  mkdirSync(dataDir, { recursive: true });
  const need = sizes.reduce((a, n) => a + n * (n <= 1e7 ? 10 : 5.2), 0);
  const fsStat = statfsSync(dataDir);
  const free = fsStat.bavail * fsStat.bsize;
  if (free < need * 1.2) {
    console.error(`bench/eval: needs about ${(need / 2 ** 30).toFixed(1)} GiB free under ${dataDir}, has ${(free / 2 ** 30).toFixed(1)} GiB`);
    process.exit(1);
  }
  const rows: BenchRow[] = [];
  const extra: Record<string, unknown> = {};
  for (const n of sizes) {
    const file = join(dataDir, `eval-${n}.arrow`);
    const raw = n <= 1e7 ? join(dataDir, `eval-${n}`) : undefined;
    if (!existsSync(file)) {
      const t0 = performance.now();
      await generate(file, n, raw);
      console.error(`generated ${file} (${(statSync(file).size / 2 ** 20).toFixed(0)} MiB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    const label = `n=${n.toExponential(0)}`;
    const read = runChild('read', file);
    const ev = runChild('eval', file);
    const ratio = ev.ms / read.ms;
    const big = n >= 1e8;
    rows.push({ name: `${label} stream-read (baseline)`, value: read.ms / 1000, unit: 's', note: `peak RSS ${read.maxRssMb.toFixed(0)} MB` });
    rows.push({
      name: `${label} AUC+AUC-PR exact + 1000-bootstrap CI`,
      value: ev.ms / 1000,
      unit: 's',
      ratio,
      ratioOf: 'vs read',
      ...(big ? { bar: '<= 3', pass: ratio <= 3 } : {}),
      note: `${ev.passes} passes`,
    });
    rows.push({ name: `${label} peak RSS (eval)`, value: ev.maxRssMb, unit: 'MB', ...(big ? { bar: '< 1000', pass: ev.maxRssMb < 1000 } : {}) });
    extra[label] = ev.value;
    if (n === sizes[0]) {
      const eight = runChild('eval', file, 8);
      const same = JSON.stringify(eight.value) === JSON.stringify(ev.value);
      rows.push({ name: `${label} result with 8 shards equals 1 shard`, value: same ? 1 : 0, unit: 'bool', bar: '= 1', pass: same });
    }
    if (raw !== undefined) {
      const sk = sklearnAuc(raw);
      if (typeof sk === 'string') rows.push({ name: `${label} scikit-learn roc_auc_score`, value: Number.NaN, unit: 's', note: sk });
      else {
        const ours = (ev.value as { metrics: { auc: { org: number } } }).metrics.auc.org;
        rows.push({
          name: `${label} scikit-learn roc_auc_score (in memory, AUC only)`,
          value: sk.ms / 1000,
          unit: 's',
          note: `|AUC diff| ${Math.abs(sk.auc - ours).toExponential(1)}`,
        });
      }
      if (!keep) for (const s of ['.pred.f32', '.target.i8']) rmSync(`${raw}${s}`, { force: true });
    }
    if (n === sizes[sizes.length - 1]) {
      // Worker threads (the metrics rebuilt from a recipe on each), 1 vs 2, and the same-run calibration.
      const loadBefore = loadavg()[0] ?? 0;
      const busy1 = runChild('busy', file, 1);
      const busy2 = runChild('busy', file, 2);
      const t1 = runChild('threads', file, 1);
      const t2 = runChild('threads', file, 2);
      const t8 = runChild('threads', file, 8);
      const read2 = runChild('read', file);
      const loadAfter = loadavg()[0] ?? 0;
      const readMs = Math.min(read.ms, read2.ms);
      const same = [t2, t8, ev].every((r) => JSON.stringify(r.value) === JSON.stringify(t1.value));
      rows.push({ name: 'calibration: busy loop, 1 thread', value: busy1.ms / 1000, unit: 's' });
      rows.push({
        name: 'calibration: busy loop, 2 threads',
        value: busy2.ms / 1000,
        unit: 's',
        ratio: busy1.ms / busy2.ms,
        ratioOf: 'speed-up vs 1 thread (2.0 on 2 idle cores)',
      });
      rows.push({
        name: `${label} AUC+AUC-PR+CI, 1 worker thread (in this thread)`,
        value: t1.ms / 1000,
        unit: 's',
        ratio: t1.ms / readMs,
        ratioOf: 'vs read',
        note: `peak RSS ${t1.maxRssMb.toFixed(0)} MB; CPU ${t1.cpuS.toFixed(1)} s`,
      });
      rows.push({
        name: `${label} AUC+AUC-PR+CI, 2 threads (this + 1 worker)`,
        value: t2.ms / 1000,
        unit: 's',
        ratio: t2.ms / readMs,
        ratioOf: 'vs read',
        ...(big ? { bar: '<= 4', pass: t2.ms / readMs <= 4 } : {}),
        note: `speed-up ${(t1.ms / t2.ms).toFixed(2)}× vs 1 thread; peak RSS ${t2.maxRssMb.toFixed(0)} MB; CPU ${t2.cpuS.toFixed(1)} s (each thread reads its record batches)`,
      });
      rows.push({ name: `${label} peak RSS (2 threads)`, value: t2.maxRssMb, unit: 'MB', ...(big ? { bar: '< 1000', pass: t2.maxRssMb < 1000 } : {}) });
      rows.push({
        name: `${label} AUC+AUC-PR+CI, 8 threads (this + 7 workers)`,
        value: t8.ms / 1000,
        unit: 's',
        ratio: t8.ms / readMs,
        ratioOf: 'vs read',
        note: `on this machine's cores; CPU ${t8.cpuS.toFixed(1)} s`,
      });
      rows.push({ name: `${label} peak RSS (8 threads)`, value: t8.maxRssMb, unit: 'MB', ...(big ? { bar: '< 1000', pass: t8.maxRssMb < 1000 } : {}) });
      rows.push({ name: `${label} result on 1, 2 and 8 threads equals in-thread objects`, value: same ? 1 : 0, unit: 'bool', bar: '= 1', pass: same });
      extra['load average (1 min) before / after the threads rows'] = [loadBefore, loadAfter];
    }
    if (!keep) rmSync(file, { force: true });
  }
  report('eval', rows, { results: extra, load: `shared 2-core machine; other sessions running; 1-min load average now ${(loadavg()[0] ?? 0).toFixed(2)}` });
  writeFileSync(join(dataDir, 'last-eval.json'), JSON.stringify({ rows, results: extra }));
}

if (process.argv[2] === '--child') await child(process.argv[3] as string, process.argv[4] as string, Number(process.argv[5] ?? 1));
else await main();
