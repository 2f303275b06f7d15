/**
 * bench/ids: a dataset over 10^8 sample ids read by row from an Arrow file (issue 11 item 7).
 *
 * Writes an Arrow IPC file of N ids (default 10^8, `s` + 9 digits, record batches of 2^16 rows:
 * about 1.5 GB) to a temporary folder (removed at the end unless `--keep`; `--file PATH` reuses
 * one), then measures each case in a fresh child process, so its peak RSS (the kernel's maxrss)
 * is that case's alone:
 * - `column`: `idsFromArrowFile` + `dataset` + `stream({ epoch, seed, shuffle })` on rank 0 of 1
 *   and rank 5 of 8: time to open the file, time from nothing to the first sample out (bar < 1 s),
 *   samples/s over M samples (default 10^6) through the stream, peak RSS (bar < 256 MB), and that
 *   the ids streamed are those of the permutation (the first 10^4 checked against `s<row>`).
 * - `decode`: ids/s of `rankIds(...).at(p)` alone (permutation + positioned reads, no dataset).
 * - `list`: the `string[]` path on L ids (default 10^7, a tenth of N): building the `string[]`,
 *   the first sample (a Fisher–Yates table of L entries, the shard's copy) and its peak RSS — the
 *   baseline the column path removes; at 10^8 ids it grows about ten-fold.
 *
 * A `baseline` row gives the peak RSS of a child that only loads the modules (Node, tsx,
 * apache-arrow, rxjs), so the rows above it can be read as growth.
 *
 * Usage: npm run bench -- ids [--ids 100000000] [--samples 1000000] [--list-ids 10000000] [--file PATH] [--keep]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sampleIdOf } from '../src/core/sample.js';
import { idsFromArrowFile } from '../src/core/ids/arrow-file-ids.js';
import { dataset } from '../src/streams/dataset.js';
import { indexPermutation } from '../src/streams/index-permutation.js';
import { shardPositions, rankIds } from '../src/streams/rank-ids.js';
import { ID_DIGITS, idOfRow, writeIdFile } from './lib/id-file.js';
import { report, type BenchRow } from './lib/report.js';

const DIGITS = ID_DIGITS;
const idOf = idOfRow;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isSafeInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer`);
  return v;
}
function text(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/**
 * This process's peak RSS in MB: VmHWM of /proc/self/status (Linux), the high-water mark of this
 * process image alone. (`resourceUsage().maxRSS` is not: Linux carries the forked parent's peak
 * across exec into the child's.) Elsewhere, maxRSS.
 */
function peakRssMb(): number {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kb !== undefined) return Number(kb) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}

interface ChildResult {
  readonly openMs?: number;
  readonly firstMs: number;
  readonly perSecond: number;
  readonly count: number;
  readonly peakRssMb: number;
  readonly checked?: number;
}

/** Child: one case, printed as one line of JSON. */
async function child(mode: string, file: string, n: number, samples: number, rank: number, worldSize: number): Promise<ChildResult> {
  const shard = { rank, worldSize };
  if (mode === 'write') {
    const t0 = performance.now();
    await writeIdFile(file, n);
    return { firstMs: 0, perSecond: n / ((performance.now() - t0) / 1000), count: n, peakRssMb: peakRssMb() };
  }
  if (mode === 'idle') return { firstMs: 0, perSecond: 0, count: 0, peakRssMb: peakRssMb() };
  if (mode === 'list') {
    const t0 = performance.now();
    const ids = Array.from({ length: n }, (_, i) => idOf(i));
    const ds = dataset({ ids });
    const stream = ds.stream({ epoch: 0, seed: 1, shard, window: 64 });
    let firstMs = 0;
    let count = 0;
    let t1 = 0;
    for await (const s of stream) {
      if (count === 0) {
        firstMs = performance.now() - t0;
        t1 = performance.now();
      }
      if (sampleIdOf(s) === '') throw new Error('empty id');
      if (++count >= samples) break;
    }
    return { firstMs, perSecond: (count - 1) / ((performance.now() - t1) / 1000), count, peakRssMb: peakRssMb() };
  }
  const t0 = performance.now();
  const ids = idsFromArrowFile(file);
  const openMs = performance.now() - t0;
  if (ids.length !== n) throw new Error(`${file}: ${ids.length} ids, expected ${n}`);
  if (mode === 'decode') {
    const mine = rankIds(ids, { epoch: 0, seed: 1, shard });
    const t1 = performance.now();
    const count = Math.min(samples, mine.length);
    let bytes = 0;
    for (let p = 0; p < count; p++) bytes += mine.at(p).length;
    const ms = performance.now() - t1;
    if (bytes !== count * (1 + DIGITS)) throw new Error('decoded ids of the wrong length');
    ids.close();
    return { openMs, firstMs: 0, perSecond: count / (ms / 1000), count, peakRssMb: peakRssMb() };
  }
  const ds = dataset({ ids });
  const stream = ds.stream({ epoch: 0, seed: 1, shard, window: 64 });
  const rows = indexPermutation(n, { epoch: 0, seed: 1 });
  const positions = shardPositions(n, shard);
  let firstMs = 0;
  let t1 = 0;
  let count = 0;
  let checked = 0;
  for await (const s of stream) {
    if (count === 0) {
      firstMs = performance.now() - t0;
      t1 = performance.now();
    }
    if (count < 10_000) {
      const want = idOf(rows.at(positions.at(count)));
      if (sampleIdOf(s) !== want) throw new Error(`position ${count}: streamed '${sampleIdOf(s)}', the permutation says '${want}'`);
      checked++;
    }
    if (++count >= samples) break;
  }
  const perSecond = (count - 1) / ((performance.now() - t1) / 1000);
  ids.close();
  return { openMs, firstMs, perSecond, count, checked, peakRssMb: peakRssMb() };
}

const self = fileURLToPath(import.meta.url);
function runChild(mode: string, file: string, n: number, samples: number, rank: number, worldSize: number): ChildResult {
  const r = spawnSync(process.execPath, [...process.execArgv, self, '--child', mode, file, String(n), String(samples), String(rank), String(worldSize)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`child ${mode} failed (${String(r.status ?? r.signal)}):\n${r.stderr}`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as ChildResult;
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
  const [mode, file, n, samples, rank, worldSize] = process.argv.slice(childAt + 1);
  const result = await child(mode ?? '', file ?? '', Number(n), Number(samples), Number(rank), Number(worldSize));
  console.log(JSON.stringify(result));
} else {
  const N = arg('ids', 100_000_000);
  const M = arg('samples', 1_000_000);
  const L = arg('list-ids', 10_000_000);
  const given = text('file');
  const dir = given === undefined ? mkdtempSync(join(tmpdir(), 'fuseflow-bench-ids-')) : undefined;
  const file = given ?? join(dir ?? '', 'ids.arrow');
  const load0 = loadavg()[0] ?? 0;
  try {
    let writeS: number | undefined;
    if (given === undefined || !existsSync(file)) {
      const t = performance.now();
      runChild('write', file, N, 1, 0, 1);
      writeS = (performance.now() - t) / 1000;
    }
    const gb = statSync(file).size / 1e9;
    const rows: BenchRow[] = [];
    const idle = runChild('idle', file, N, 1, 0, 1);
    rows.push({ name: 'baseline: peak RSS of a child that only loads the modules', value: idle.peakRssMb, unit: 'MB', note: 'Node + tsx + apache-arrow + rxjs' });
    if (writeS !== undefined) rows.push({ name: `write ${N} ids (Arrow file, ${gb.toFixed(2)} GB)`, value: writeS, unit: 's', note: 'setup, not a bar' });
    for (const [rank, worldSize] of [
      [0, 1],
      [5, 8],
    ] as const) {
      const c = runChild('column', file, N, M, rank, worldSize);
      const tag = `column, rank ${rank}/${worldSize}`;
      rows.push({ name: `${tag}: open the id file`, value: c.openMs ?? 0, unit: 'ms' });
      rows.push({ name: `${tag}: first sample out (from nothing)`, value: c.firstMs, unit: 'ms', bar: '< 1000', pass: c.firstMs < 1000 });
      rows.push({ name: `${tag}: stream`, value: c.perSecond, unit: 'samples/s', note: `${c.count} samples, first ${c.checked ?? 0} ids checked` });
      rows.push({ name: `${tag}: peak RSS`, value: c.peakRssMb, unit: 'MB', bar: '< 256', pass: c.peakRssMb < 256 });
    }
    const d = runChild('decode', file, N, M, 0, 1);
    rows.push({ name: 'decode alone (permutation + pread)', value: d.perSecond, unit: 'ids/s', note: `${d.count} ids, peak RSS ${d.peakRssMb.toFixed(0)} MB` });
    const l = runChild('list', file, L, M, 0, 1);
    const col = rows.find((r) => r.name === 'column, rank 0/1: stream')?.value ?? 0;
    rows.push({ name: `string[] of ${L} ids: first sample out`, value: l.firstMs, unit: 'ms', note: 'builds the array, Set, Fisher–Yates table' });
    rows.push({ name: `string[] of ${L} ids: stream`, value: l.perSecond, unit: 'samples/s', ratio: col / l.perSecond, ratioOf: 'column/string[]' });
    rows.push({ name: `string[] of ${L} ids: peak RSS`, value: l.peakRssMb, unit: 'MB', note: `x${(N / L).toFixed(0)} ids would need about x${(N / L).toFixed(0)}` });
    report('ids', rows, { ids: N, samples: M, listIds: L, loadAverage: [load0, loadavg()[0] ?? 0] });
  } finally {
    if (dir !== undefined && !process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
    else console.log(`id file kept: ${file}`);
  }
}
