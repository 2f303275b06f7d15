/**
 * bench/streams: engine overhead and backpressure.
 *
 * 1. Samples/s of a 10-op keyed pipeline (the built-in keys ops) over N small samples through
 *    `dataset().stream()` (credit gate + for await), `toOperator` (RxJS) and a plain
 *    `runPipeline` loop, against a hand-written loop calling the same op functions. Same run,
 *    alternating, medians over repeats. Bar: engine ≤ 2× the hand loop.
 * 2. M samples through `dataset().stream({ window })` with a consumer 10× slower than the
 *    producer (it waits 10× the producer's measured time per sample): peak in-flight
 *    (counted independently: built by the source − received by the consumer, plus the engine's
 *    own counter), RSS growth after warm-up, and JS heap growth after a forced GC (RSS also moves
 *    with V8's heap sizing). Bars: in-flight ≤ window, RSS growth < 50 MB.
 *
 * Usage: npm run bench -- streams [--samples 100000] [--slow-samples 1000000] [--window 64] [--repeats 7]
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { from, lastValueFrom, reduce } from 'rxjs';
import { createSample, type Sample } from '../src/core/sample.js';
import { SampleContext, type Op } from '../src/ops/op.js';
import { pipeline, runPipeline } from '../src/ops/pipeline.js';
import { copy } from '../src/ops/keys/copy.js';
import { deleteKeys } from '../src/ops/keys/delete-keys.js';
import { lookup } from '../src/ops/keys/lookup.js';
import { oneHot } from '../src/ops/keys/one-hot.js';
import { overrideNaN } from '../src/ops/keys/override-nan.js';
import { replace } from '../src/ops/keys/replace.js';
import { set } from '../src/ops/keys/set.js';
import { setIfMissing } from '../src/ops/keys/set-if-missing.js';
import { zScore } from '../src/ops/keys/z-score.js';
import { dataset } from '../src/streams/dataset.js';
import { toOperator } from '../src/streams/to-operator.js';
import { median, report, timeRuns, type BenchRow } from './lib/report.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}

// A forced GC for the heap figure (without --expose-gc on the command line).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const N = arg('samples', 100_000);
const M = arg('slow-samples', 1_000_000);
const WINDOW = arg('window', 64);
const REPEATS = arg('repeats', 7);

const ops: Op<object>[] = [
  set({ key: 'data.age', value: 57 }),
  setIfMissing({ key: 'data.site', value: 'A' }),
  copy({ inKey: 'data.age', outKey: 'data.ageRaw' }),
  zScore({ key: 'data.age', mean: 50, std: 10 }),
  overrideNaN({ key: 'data.age', value: 0 }),
  replace({ inKey: 'data.site', find: 'A', replaceWith: 'B' }),
  lookup({ inKey: 'data.site', outKey: 'data.siteCode', map: { A: 0, B: 1 } }),
  oneHot({ inKey: 'data.siteCode', outKey: 'data.siteOneHot', numClasses: 2 }),
  set({ key: 'data.label', value: 1 }),
  deleteKeys({ keys: ['data.ageRaw'] }),
];
const dyn = pipeline(ops, { name: 'dynamic' });
const ids = Array.from({ length: N }, (_, i) => `s${i}`);

/** The baseline: a loop calling the same op functions, with one plain context per sample. */
function handLoop(): number {
  let check = 0;
  for (const id of ids) {
    let s: Sample = createSample(id);
    const ctx = { sampleId: id, opId: 'hand', opIndex: 0, epoch: 0, seed: 0, rng: undefined as never };
    for (const op of ops) s = op.apply(s, ctx) as Sample;
    check += (s.data as { label: number }).label;
  }
  return check;
}

function runPipelineLoop(): number {
  let check = 0;
  for (const id of ids) {
    const out = runPipeline(dyn, createSample(id), { seed: 0, epoch: 0 }) as Sample[];
    check += out.length;
  }
  return check;
}

async function rxOperator(): Promise<number> {
  return lastValueFrom(
    from(ids.map((id) => createSample(id))).pipe(
      toOperator(dyn),
      reduce((n) => n + 1, 0),
    ),
  );
}

const ds = dataset({ ids, dynamicPipeline: ops });
async function engine(): Promise<number> {
  let n = 0;
  for await (const _ of ds.stream({ epoch: 0, seed: 1, window: WINDOW })) n++;
  return n;
}

// Warm up every path once, then alternate them so drift on the shared machine hits all alike.
void new SampleContext('w', 'w', 0, 0, 0);
handLoop();
runPipelineLoop();
await rxOperator();
await engine();
const times: Record<'hand' | 'runPipeline' | 'toOperator' | 'engine', number[]> = { hand: [], runPipeline: [], toOperator: [], engine: [] };
for (let r = 0; r < REPEATS; r++) {
  times.hand.push(...(await timeRuns(1, handLoop)));
  times.runPipeline.push(...(await timeRuns(1, runPipelineLoop)));
  times.toOperator.push(...(await timeRuns(1, rxOperator)));
  times.engine.push(...(await timeRuns(1, engine)));
}
const rate = (ms: number): number => N / (ms / 1000);
const hand = median(times.hand);
const rows: BenchRow[] = [
  { name: `hand-written loop, 10 keys ops, ${N} samples`, value: rate(hand), unit: 'samples/s', note: `median of ${REPEATS}` },
  { name: 'runPipeline loop (sync)', value: rate(median(times.runPipeline)), unit: 'samples/s', ratio: median(times.runPipeline) / hand, ratioOf: 'x hand time' },
  { name: 'toOperator (RxJS from(array))', value: rate(median(times.toOperator)), unit: 'samples/s', ratio: median(times.toOperator) / hand, ratioOf: 'x hand time' },
  {
    name: `dataset.stream, window ${WINDOW}, for await`,
    value: rate(median(times.engine)),
    unit: 'samples/s',
    ratio: median(times.engine) / hand,
    ratioOf: 'x hand time',
    bar: '<= 2',
    pass: median(times.engine) / hand <= 2,
  },
];

// Part 2: a consumer 10× slower than the producer over M samples.
const producerUsPerSample = (median(times.engine) * 1000) / N;
const consumerUs = 10 * producerUsPerSample;
let built = 0;
let received = 0;
let peakIndependent = 0;
const bigIds = Array.from({ length: M }, (_, i) => `s${i}`);
const slow = dataset({
  ids: bigIds,
  source: (id) => {
    built++;
    return createSample(id);
  },
  dynamicPipeline: ops,
});
const stream = slow.stream({ epoch: 0, seed: 1, window: WINDOW });
const warmup = Math.min(20_000, Math.floor(M / 10));
let rssBase = 0;
let heapBase = 0;
let debtUs = 0;
let rssPeak = 0;
const t0 = performance.now();
for await (const _ of stream) {
  received++;
  // The sample in hand counts as in flight until the next pull.
  const inFlight = built - received + 1;
  if (inFlight > peakIndependent) peakIndependent = inFlight;
  // The consumer takes 10× the producer's time per sample. It sleeps (rather than spins) once
  // its debt reaches 2 ms, which leaves the shared cores to others; the producer only runs
  // when pulled, so sleeping and spinning look the same to the stream.
  debtUs += consumerUs;
  if (debtUs >= 2000) {
    const t = performance.now();
    await new Promise((resolve) => setTimeout(resolve, debtUs / 1000));
    debtUs -= (performance.now() - t) * 1000;
  }
  if (received === warmup) {
    gc();
    rssBase = process.memoryUsage.rss();
    heapBase = process.memoryUsage().heapUsed;
  }
  if (received > warmup && received % 10_000 === 0) rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
}
gc();
const heapGrowthMb = (process.memoryUsage().heapUsed - heapBase) / 2 ** 20;
const slowSeconds = (performance.now() - t0) / 1000;
const growthMb = (Math.max(rssPeak, rssBase) - rssBase) / 2 ** 20;
rows.push(
  { name: `slow consumer (${consumerUs.toFixed(1)} us/sample), ${M} samples`, value: received / slowSeconds, unit: 'samples/s', note: `${slowSeconds.toFixed(0)} s` },
  { name: 'peak in flight (source − consumer)', value: peakIndependent, unit: 'samples', bar: `<= ${WINDOW}`, pass: peakIndependent <= WINDOW },
  { name: 'peak in flight (engine counter)', value: stream.stats.peakInFlight, unit: 'samples', bar: `<= ${WINDOW}`, pass: stream.stats.peakInFlight <= WINDOW },
  { name: `RSS growth after ${warmup} samples`, value: growthMb, unit: 'MB', bar: '< 50', pass: growthMb < 50, note: `base ${(rssBase / 2 ** 20).toFixed(0)} MB` },
  { name: 'JS heap growth (after GC, end vs warm-up)', value: heapGrowthMb, unit: 'MB', note: `base ${(heapBase / 2 ** 20).toFixed(0)} MB` },
);

report('streams', rows, { samples: N, slowSamples: M, window: WINDOW, repeats: REPEATS, received, built });
