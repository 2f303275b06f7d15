/**
 * Throughput and peak memory of evaluate's input sources: Arrow IPC read batch by batch, CSV
 * streamed, and CSV files joined by sample id through the LMDB index, each next to a plain
 * Arrow read of the same rows (the baseline). Every case runs in its own process so its peak
 * RSS is its own.
 *
 *   npx tsx bench/run.ts eval-sources [--rows N] [--join-rows N]
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RecordBatchReader, RecordBatchStreamWriter, Table, vectorFromArray } from 'apache-arrow';
import { Rng } from '../src/core/rng.js';
import { arrowSource } from '../src/eval/sources/arrow-source.js';
import { csvSource } from '../src/eval/sources/csv-source.js';
import { joinSources } from '../src/eval/sources/join-sources.js';
import { evaluate } from '../src/eval/evaluate.js';
import { auc } from '../src/eval/metrics/auc.js';
import { aucPr } from '../src/eval/metrics/aucpr.js';
import { report, type BenchRow } from './lib/report.js';

const self = fileURLToPath(import.meta.url);
const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};

interface CaseResult {
  readonly ms: number;
  readonly rows: number;
  readonly maxRssMb: number;
  readonly value?: number;
}

async function runCase(name: string, files: Record<string, string>): Promise<CaseResult> {
  const t0 = performance.now();
  let rows = 0;
  let value: number | undefined;
  const count = (b: { length: number }): void => {
    rows += b.length;
  };
  switch (name) {
    case 'arrow-read': {
      const handle = await open(files.arrow as string);
      const reader = await RecordBatchReader.from(handle);
      let sum = 0;
      for await (const batch of reader) {
        const p = batch.getChild('pred')?.toArray() as Float32Array;
        sum += p[0] ?? 0;
        rows += batch.numRows;
      }
      await handle.close();
      value = sum;
      break;
    }
    case 'arrow-scan':
      await arrowSource(files.arrow as string).scan(65_536, count);
      break;
    case 'arrow-noop': {
      const noop = {
        name: 'noop',
        init: () => 0,
        update: (s: number, b: Record<string, ArrayLike<unknown>>) => s + (b.pred?.length ?? 0),
        merge: (a: number, b: number) => a + b,
        compute: (s: number) => s,
      };
      const r = await evaluate({ data: files.arrow as string, metrics: [noop] });
      rows = r.rows;
      break;
    }
    case 'arrow-eval': {
      const r = await evaluate({ data: files.arrow as string, metrics: [auc({ pred: 'pred', target: 'target' }), aucPr({ pred: 'pred', target: 'target' })] });
      rows = r.rows;
      value = r.metrics.auc as number;
      break;
    }
    case 'csv-scan':
      await csvSource(files.csv as string, { types: { pred: 'number', target: 'number' } }).scan(65_536, count);
      break;
    case 'join':
    case 'join-lmdb': {
      const j = joinSources(
        { pred: csvSource(files.joinPred as string, { types: { id: 'string' } }), target: csvSource(files.joinTarget as string, { types: { id: 'string' } }) },
        { id: 'id', ...(name === 'join-lmdb' ? { memoryRows: 0 } : {}) },
      );
      await j.scan(65_536, count);
      await j.close();
      break;
    }
    default:
      throw new Error(`unknown case ${name}`);
  }
  const ms = performance.now() - t0;
  return { ms, rows, maxRssMb: process.resourceUsage().maxRSS / 1024, ...(value === undefined ? {} : { value }) };
}

async function writeInputs(dir: string, n: number, joinRows: number): Promise<Record<string, string>> {
  const rng = Rng.fromParts([7, 'bench-eval-sources']);
  const arrow = join(dir, 'preds.arrows');
  const csv = join(dir, 'preds.csv');
  const joinPred = join(dir, 'join-pred.csv');
  const joinTarget = join(dir, 'join-target.csv');
  const writer = new RecordBatchStreamWriter();
  const out = createWriteStream(arrow);
  const csvOut = createWriteStream(csv);
  csvOut.write('pred,target\n');
  const pipe = writer.toNodeStream().pipe(out);
  const chunk = 1 << 20;
  for (let start = 0; start < n; start += chunk) {
    const m = Math.min(chunk, n - start);
    const target = new Int8Array(m);
    const pred = new Float32Array(m);
    const lines: string[] = [];
    for (let i = 0; i < m; i++) {
      const y = rng.next() < 0.3 ? 1 : 0;
      target[i] = y;
      pred[i] = Math.min(1, Math.max(0, 0.5 + (y === 1 ? 0.15 : -0.1) + 0.2 * rng.normal()));
      if (start + i < Math.min(n, 1_000_000)) lines.push(`${pred[i]},${y}`);
    }
    for (const rb of new Table({ pred: vectorFromArray(pred), target: vectorFromArray(target) }).batches) writer.write(rb);
    if (lines.length > 0 && !csvOut.write(`${lines.join('\n')}\n`)) await new Promise<void>((r) => csvOut.once('drain', () => r()));
  }
  writer.finish();
  await new Promise<void>((r) => pipe.on('finish', () => r()));
  await new Promise<void>((r) => csvOut.end(() => r()));
  // Join inputs: predictions in one order, targets in reverse.
  const ids = Array.from({ length: joinRows }, (_, i) => `s${String(i).padStart(8, '0')}`);
  const p = createWriteStream(joinPred);
  p.write('id,score\n');
  for (let i = 0; i < joinRows; i += 10_000)
    p.write(
      ids
        .slice(i, i + 10_000)
        .map((id) => `${id},${rng.next()}`)
        .join('\n') + '\n',
    );
  await new Promise<void>((r) => p.end(() => r()));
  const t = createWriteStream(joinTarget);
  t.write('id,label\n');
  for (let i = joinRows; i > 0; i -= 10_000)
    t.write(
      ids
        .slice(Math.max(0, i - 10_000), i)
        .reverse()
        .map((id) => `${id},${rng.next() < 0.3 ? 1 : 0}`)
        .join('\n') + '\n',
    );
  await new Promise<void>((r) => t.end(() => r()));
  return { arrow, csv, joinPred, joinTarget };
}

const caseName = process.argv[process.argv.indexOf('--case') + 1];
if (process.argv.includes('--case') && caseName !== undefined) {
  const files = JSON.parse(process.argv[process.argv.indexOf('--files') + 1] as string) as Record<string, string>;
  console.log(JSON.stringify(await runCase(caseName, files)));
} else {
  const n = arg('--rows', 10_000_000);
  const joinRows = arg('--join-rows', 200_000);
  const dir = mkdtempSync(join(tmpdir(), 'fuseflow-bench-eval-sources-'));
  try {
    const files = await writeInputs(dir, n, joinRows);
    const csvRows = Math.min(n, 1_000_000);
    const run = (name: string): CaseResult => {
      const child = spawnSync(process.execPath, ['--import', 'tsx', self, '--case', name, '--files', JSON.stringify(files)], { encoding: 'utf8', maxBuffer: 1 << 20 });
      if (child.status !== 0) throw new Error(`case ${name} failed: ${child.stderr}`);
      return JSON.parse(child.stdout.trim().split('\n').pop() as string) as CaseResult;
    };
    const base = run('arrow-read');
    const scan = run('arrow-scan');
    const noop = run('arrow-noop');
    const evalRun = run('arrow-eval');
    const csv = run('csv-scan');
    const joined = run('join');
    const joinedLmdb = run('join-lmdb');
    const rate = (r: CaseResult): number => r.rows / (r.ms / 1000);
    const rows: BenchRow[] = [
      {
        name: `plain Arrow read, ${n.toLocaleString('en-US')} rows (${(statSync(files.arrow as string).size / 2 ** 20).toFixed(0)} MiB)`,
        value: base.ms,
        unit: 'ms',
        note: `${rate(base).toExponential(2)} rows/s, peak RSS ${base.maxRssMb.toFixed(0)} MB`,
      },
      {
        name: 'arrowSource scan',
        value: scan.ms,
        unit: 'ms',
        ratio: scan.ms / base.ms,
        ratioOf: 'vs plain read',
        note: `${rate(scan).toExponential(2)} rows/s, peak RSS ${scan.maxRssMb.toFixed(0)} MB`,
      },
      {
        name: 'evaluate, a metric that only counts rows',
        value: noop.ms,
        unit: 'ms',
        ratio: noop.ms / base.ms,
        ratioOf: 'vs plain read',
        note: `${rate(noop).toExponential(2)} rows/s, peak RSS ${noop.maxRssMb.toFixed(0)} MB (evaluate's own overhead)`,
      },
      {
        name: 'evaluate AUC + AUC-PR over arrowSource',
        value: evalRun.ms,
        unit: 'ms',
        ratio: evalRun.ms / base.ms,
        ratioOf: 'vs plain read',
        note: `${rate(evalRun).toExponential(2)} rows/s, peak RSS ${evalRun.maxRssMb.toFixed(0)} MB, AUC ${evalRun.value?.toFixed(4)}`,
      },
      {
        name: `csvSource scan, ${csvRows.toLocaleString('en-US')} rows`,
        value: csv.ms,
        unit: 'ms',
        note: `${rate(csv).toExponential(2)} rows/s, peak RSS ${csv.maxRssMb.toFixed(0)} MB`,
      },
      {
        name: `join 2 CSVs by id, in-memory index, ${joinRows.toLocaleString('en-US')} rows`,
        value: joined.ms,
        unit: 'ms',
        note: `${rate(joined).toExponential(2)} rows/s, peak RSS ${joined.maxRssMb.toFixed(0)} MB`,
      },
      {
        name: 'the same join, index on LMDB (memoryRows 0)',
        value: joinedLmdb.ms,
        unit: 'ms',
        ratio: joinedLmdb.ms / joined.ms,
        ratioOf: 'vs in-memory',
        note: `${rate(joinedLmdb).toExponential(2)} rows/s, peak RSS ${joinedLmdb.maxRssMb.toFixed(0)} MB`,
      },
    ];
    report('eval-sources', rows, { rowsArrow: n, rowsCsv: csvRows, joinRows });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
