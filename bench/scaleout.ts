/**
 * Scale-out (issue 11): map/merge evaluation against one process, and the sharded cache fill.
 *
 * Eval: 10^7 predictions (float32 `pred`, int8 `target`) in 16 Arrow files, evaluated with the
 * CLI's default metrics (AUC and AP exact: a refinement pass) by
 *  - one `fuseflow eval --input 'dir/*.arrow'` process (1 thread), the baseline: the mean of a
 *    run before and one after the shards (after a warm-up start that fills tsx's compile cache);
 *  - 4 shard processes `--shard i/4 --state-out` run one after the other plus `fuseflow eval
 *    merge` (1 thread each): their summed wall time over the baseline is the map/merge overhead
 *    (bar <= 1.1x), and the merged JSON must equal the baseline's byte for byte; the row says
 *    whether the merge refined AUC/AP from the shards' kept keys (STATE.keys) or read the inputs
 *    again, and the kept-keys files' size; the same ratio
 *    in CPU time (user + system, each process's own, read at its exit), steadier than wall time
 *    when other work shares the machine;
 *  - the distributed refinement round as the emitted scripts run it: the same 4 map states, `eval
 *    merge --next-pass-out PLAN`, 4 shards `--pass PLAN` and the merge of their pass files (the
 *    merge node reads no input); with the shards' kept keys the plan's merge refines AUC/AP itself
 *    and writes PLAN marked complete, so the pass shards read nothing (else they read their own
 *    shares); summed wall and CPU time over the baseline, JSON equal;
 *  - 16 shard states merged in this process (read, check, merge; no extra pass): bar < 1 s;
 *  - the size of one shard's state per metric (each state encoded alone).
 * Cache fill: bench/lib/scaleout-fill.ts (helper of the sharded cache) when present.
 * Every timed command is a real OS process; wall-clock times; the 1-minute load average is noted.
 *
 *   npm run bench -- scaleout [--rows 1e7] [--files 16] [--no-fill] [--keep] [--sources]
 *
 * The timed processes run the compiled CLI (bin/fuseflow.js: dist/ and its eval bundle, built
 * first) unless --sources; FUSEFLOW_EVAL_BUNDLE=0 times the module-by-module start.
 *
 * Data: bench/.data/scaleout/ (generated from the counter-based Rng; deleted unless --keep).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { RecordBatchFileWriter, Table, vectorFromArray } from 'apache-arrow';
import { Rng } from '../src/core/rng.js';
import { checkShardSet, mergeShardStates } from '../src/eval/shard/shard-set.js';
import { encodeStateFile, readStateFile } from '../src/eval/shard/state-file.js';
import { cliMetricSet, type CliMetricSpec } from '../src/cli/commands/eval-metrics.js';
import { orderMetrics } from '../src/eval/evaluate-order.js';
import { median, report, type BenchRow } from './lib/report.js';

const self = fileURLToPath(import.meta.url);
const root = join(dirname(self), '..');
/**
 * The CLI the timed processes run: `bin/fuseflow.js` over the compiled one (`dist/`, built here
 * first, untimed, with the eval bundle it starts `eval` from), as users run `fuseflow`, unless `--sources` asks for `tsx src/cli/main.ts` (about 2 s of start-up per
 * process on this machine, which alone costs the 4-shard map/merge 5 starts).
 */
const fromSources = process.argv.includes('--sources');
const CLI = join(root, fromSources ? 'src/cli/main.ts' : 'bin/fuseflow.js');
/** Each timed process appends its CPU time (ms) at exit to the file the bench names (bench/lib/cpu-usage-hook.mjs). */
const CPU_HOOK = pathToFileURL(join(root, 'bench', 'lib', 'cpu-usage-hook.mjs')).href;
const CLI_ARGS = fromSources ? ['--import', 'tsx', '--import', CPU_HOOK, CLI] : ['--import', CPU_HOOK, CLI];

/** Runs node with `args` in the package root; resolves when it exits 0. */
function runNode(args: readonly string[]): Promise<void> {
  const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' });
  return new Promise((resolve, reject) => child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${args.join(' ')} exited ${String(code)}`)))));
}

/** Builds `dist/` as `npm run build` does (not timed): tsc, then the eval bundle that bin/fuseflow.js starts `eval` from. */
async function buildDist(): Promise<void> {
  await runNode([join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')]);
  await runNode([join(root, 'dist/cli/bundle/build-eval-bundle.js')]);
}
const RECORD_BATCH = 1 << 18;
const DEFAULT_METRICS = ['auc', 'aucpr', 'accuracy', 'balanced-accuracy', 'confusion', 'brier', 'mcc', 'logloss'];

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Writes `rows` predictions into `files` Arrow files in `dir`. */
function writeData(dir: string, rows: number, files: number): void {
  mkdirSync(dir, { recursive: true });
  const rng = Rng.fromParts([2026, 'scaleout']);
  for (let f = 0; f < files; f++) {
    const n = Math.floor(((f + 1) * rows) / files) - Math.floor((f * rows) / files);
    const writer = new RecordBatchFileWriter();
    for (let start = 0; start < n; start += RECORD_BATCH) {
      const m = Math.min(RECORD_BATCH, n - start);
      const target = new Int8Array(m);
      const pred = new Float32Array(m);
      for (let i = 0; i < m; i++) {
        const y = rng.next() < 0.3 ? 1 : 0;
        target[i] = y;
        pred[i] = Math.min(1, Math.max(0, 0.35 + (y === 1 ? 0.2 : -0.05) + 0.5 * (rng.next() - 0.5)));
      }
      for (const rb of new Table({ pred: vectorFromArray(pred), target: vectorFromArray(target) }).batches) writer.write(rb);
    }
    writer.finish();
    writeFileSync(join(dir, `part-${String(f).padStart(3, '0')}.arrow`), writer.toUint8Array(true));
  }
}

let cpuFiles = 0;
/** CPU times (ms) as seconds joined by ' + '. */
const secs = (ms: readonly number[]): string => ms.map((x) => (x / 1000).toFixed(2)).join(' + ');
/** Runs the CLI as a process; resolves with wall ms, its CPU ms (user + system), stdout and stderr. */
function fuseflow(args: readonly string[]): Promise<{ ms: number; cpuMs: number; out: string; err: string }> {
  const cpuFile = join(dataDir, `cpu-${cpuFiles++}.txt`);
  const t0 = performance.now();
  const child = spawn(process.execPath, [...CLI_ARGS, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FUSEFLOW_BENCH_CPU_FILE: cpuFile } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) =>
    child.on('close', (code) =>
      code === 0
        ? resolve({ ms: performance.now() - t0, cpuMs: Number(readFileSync(cpuFile, 'utf8').trim()), out, err })
        : reject(new Error(`fuseflow ${args.join(' ')} exited ${String(code)}: ${err.slice(-2000)}`)),
    ),
  );
}

async function evalRows(dataDir: string, files: number): Promise<BenchRow[]> {
  const input = ['eval', '--input', `${dataDir}/*.arrow`, '--pred', 'pred', '--target', 'target', '--threads', '1', '--no-progress'];
  const statesDir = join(dataDir, 'states');
  mkdirSync(statesDir, { recursive: true });
  const load0 = loadavg()[0] ?? 0;
  // Warm-up: tsx compiles the TypeScript sources on a process's first start and caches them; no timed run pays it.
  await fuseflow(['eval', '--help']);
  const starts = [await fuseflow(['eval', '--help']), await fuseflow(['eval', '--help']), await fuseflow(['eval', '--help'])];
  const startMs = median(starts.map((r) => r.ms));
  const startCpu = median(starts.map((r) => r.cpuMs));
  const oneBefore = await fuseflow([...input, '--json']);
  const shardMs: number[] = [];
  const shardCpus: number[] = [];
  let shardCpu = 0;
  const four: string[] = [];
  for (let i = 0; i < 4; i++) {
    const file = join(statesDir, `four-${i}.state`);
    const r = await fuseflow([...input, '--shard', `${i}/4`, '--state-out', file]);
    shardMs.push(r.ms);
    shardCpus.push(r.cpuMs);
    shardCpu += r.cpuMs;
    four.push(file);
  }
  // With progress lines: the merge says whether it refined from the shards' kept keys (STATE.keys) or read the inputs.
  const merge = await fuseflow(['eval', 'merge', ...four, '--json', '--threads', '1']);
  const mergeRead = /no input read/.test(merge.err)
    ? "from the shards' kept keys, no input read"
    : /reading the inputs/.test(merge.err)
      ? 'read the inputs again'
      : 'no refinement';
  const keysBytes = four.reduce((a, f) => a + (existsSync(`${f}.keys`) ? statSync(`${f}.keys`).size : 0), 0);
  const mapMerge = shardMs.reduce((a, b) => a + b, 0) + merge.ms;
  const mapMergeCpu = shardCpu + merge.cpuMs;
  // The distributed round: the merge plans it, the shards run it on their own shares, a last merge finishes it.
  const plan = join(statesDir, 'round-2.plan');
  const planned = await fuseflow(['eval', 'merge', ...four, '--next-pass-out', plan, '--threads', '1', '--no-progress']);
  const planComplete = readStateFile(plan).header.complete === true;
  const passMs: number[] = [];
  const passCpus: number[] = [];
  let passCpu = 0;
  const passes: string[] = [];
  for (let i = 0; i < 4; i++) {
    const file = join(statesDir, `pass-${i}.state`);
    const r = await fuseflow([...input, '--shard', `${i}/4`, '--pass', plan, '--state-out', file]);
    passMs.push(r.ms);
    passCpus.push(r.cpuMs);
    passCpu += r.cpuMs;
    passes.push(file);
  }
  const finalMerge = await fuseflow(['eval', 'merge', ...passes, '--json', '--threads', '1', '--no-progress']);
  const roundsMs = shardMs.reduce((a, b) => a + b, 0) + planned.ms + passMs.reduce((a, b) => a + b, 0) + finalMerge.ms;
  const roundsCpu = shardCpu + planned.cpuMs + passCpu + finalMerge.cpuMs;
  // The baseline again after the map/merge runs: its mean is compared, so a drifting machine load hits both sides alike.
  const oneAfter = await fuseflow([...input, '--json']);
  const one = { ms: (oneBefore.ms + oneAfter.ms) / 2, cpuMs: (oneBefore.cpuMs + oneAfter.cpuMs) / 2, out: oneBefore.out };
  const identical = merge.out === one.out && oneAfter.out === one.out;
  const roundsIdentical = finalMerge.out === one.out;
  // 16 states for the in-process merge.
  const sixteen: string[] = [];
  for (let i = 0; i < 16; i++) {
    const file = join(statesDir, `sixteen-${i}.state`);
    await fuseflow([...input, '--shard', `${i}/16`, '--state-out', file]);
    sixteen.push(file);
  }
  const spec: CliMetricSpec = { requested: DEFAULT_METRICS, keys: { pred: 'pred', target: 'target' }, report: false };
  const metrics = orderMetrics(cliMetricSet(spec));
  const mergeRuns: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    const set = checkShardSet(sixteen.map(readStateFile));
    mergeShardStates(set, metrics);
    mergeRuns.push(performance.now() - t0);
  }
  const load1 = loadavg()[0] ?? 0;
  const loadNote = `1-min load ${load0.toFixed(1)} → ${load1.toFixed(1)}`;
  const rows: BenchRow[] = [
    {
      name: `eval one process, ${files} files (1 thread)`,
      value: one.ms / 1000,
      unit: 's',
      note: `mean of a run before (${(oneBefore.ms / 1000).toFixed(1)} s) and after (${(oneAfter.ms / 1000).toFixed(1)} s) the shards; ${loadNote}`,
    },
    {
      name: 'eval 4 shards + merge (summed, 1 thread each)',
      value: mapMerge / 1000,
      unit: 's',
      ratio: mapMerge / one.ms,
      ratioOf: 'vs one process',
      bar: '<= 1.1',
      pass: mapMerge / one.ms <= 1.1,
      note: `${fromSources ? 'tsx sources' : process.env['FUSEFLOW_EVAL_BUNDLE'] === '0' ? 'compiled CLI, module-by-module start' : 'compiled CLI, eval bundle'}; shards ${shardMs.map((ms) => (ms / 1000).toFixed(1)).join(' + ')} s, merge ${(merge.ms / 1000).toFixed(1)} s (AUC/AP refinement: ${mergeRead}; kept-keys files ${(keysBytes / 2 ** 20).toFixed(1)} MiB in all); a process start (eval --help) takes ${(startMs / 1000).toFixed(2)} s, 4 more of them than one process`,
    },
    {
      name: 'eval 4 shards + merge, CPU time (summed)',
      value: mapMergeCpu / 1000,
      unit: 's',
      ratio: mapMergeCpu / one.cpuMs,
      ratioOf: 'vs one process',
      note: `user + system of each process; one process ${(one.cpuMs / 1000).toFixed(2)} s CPU (mean of before and after); shards ${secs(shardCpus)} = ${(shardCpu / 1000).toFixed(2)} s, merge ${(merge.cpuMs / 1000).toFixed(2)} s; a process start (eval --help) ${(startCpu / 1000).toFixed(2)} s CPU`,
    },
    { name: 'merged JSON = one process JSON', value: identical ? 1 : 0, unit: 'bool', bar: '= 1', pass: identical },
    {
      name: 'eval 4 shards + merge --next-pass-out + 4 --pass shards + merge (summed)',
      value: roundsMs / 1000,
      unit: 's',
      ratio: roundsMs / one.ms,
      ratioOf: 'vs one process',
      note: `${planComplete ? "the plan's merge refined AUC/AP from the shards' kept keys (plan complete: the pass shards read nothing)" : 'the refinement pass run by the shards on their shares'}; the last merge reads no input; map ${(shardMs.reduce((a, b) => a + b, 0) / 1000).toFixed(1)} s, plan ${(planned.ms / 1000).toFixed(1)} s, pass shards ${passMs.map((ms) => (ms / 1000).toFixed(1)).join(' + ')} s, merge ${(finalMerge.ms / 1000).toFixed(1)} s; CPU ${(roundsCpu / 1000).toFixed(2)} s = ${(roundsCpu / one.cpuMs).toFixed(2)}x one process (plan ${(planned.cpuMs / 1000).toFixed(2)} s, pass shards ${secs(passCpus)} s, merge ${(finalMerge.cpuMs / 1000).toFixed(2)} s)`,
    },
    { name: 'round-merged JSON = one process JSON', value: roundsIdentical ? 1 : 0, unit: 'bool', bar: '= 1', pass: roundsIdentical },
    {
      name: 'merge 16 states in-process (read + check + merge)',
      value: median(mergeRuns) / 1000,
      unit: 's',
      bar: '< 1',
      pass: median(mergeRuns) < 1000,
      note: `median of 3; ${(sixteen.reduce((a, f) => a + statSync(f).size, 0) / 2 ** 20).toFixed(1)} MiB of state files`,
    },
  ];
  // Size of one shard's state per metric (each encoded alone).
  const sample = readStateFile(sixteen[0] as string);
  sample.header.metrics.forEach((name, m) => {
    const bytes = encodeStateFile({ ...sample.header, metrics: [name] }, [sample.states[m]]).byteLength;
    rows.push({ name: `state file size: ${name}`, value: bytes / 1024, unit: 'KiB', note: 'one shard, metric alone (header included)' });
  });
  rows.push({ name: 'state file size: all default metrics', value: statSync(sixteen[0] as string).size / 1024, unit: 'KiB', note: 'one shard of 16' });
  return rows;
}

/** The sharded cache fill section, when bench/lib/scaleout-fill.ts is present. */
async function fillRows(): Promise<BenchRow[]> {
  const path = join(dirname(self), 'lib', 'scaleout-fill.ts');
  if (!existsSync(path)) return [{ name: 'cache fill section', value: Number.NaN, unit: '', note: 'bench/lib/scaleout-fill.ts not present' }];
  const mod = (await import(pathToFileURL(path).href)) as { scaleoutFillRows?: (o?: { processes?: number }) => Promise<BenchRow[]> };
  if (typeof mod.scaleoutFillRows !== 'function') return [{ name: 'cache fill section', value: Number.NaN, unit: '', note: 'scaleoutFillRows not exported' }];
  return mod.scaleoutFillRows({ processes: 4 });
}

const rowsWanted = Number(argValue('--rows') ?? 1e7);
const files = Number(argValue('--files') ?? 16);
const dataDir = join(dirname(self), '.data', 'scaleout');
rmSync(dataDir, { recursive: true, force: true });
try {
  if (!fromSources) await buildDist();
  writeData(dataDir, rowsWanted, files);
  const rows = await evalRows(dataDir, files);
  if (!process.argv.includes('--no-fill')) rows.push(...(await fillRows()));
  report('scaleout', rows, { predictions: rowsWanted, files });
} finally {
  if (!process.argv.includes('--keep')) rmSync(dataDir, { recursive: true, force: true });
}
