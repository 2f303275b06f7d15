/**
 * The exact refinement of a map/merge evaluation from the shards' kept keys: each map shard
 * writes the keys its score histograms kept in the first pass (histogram-kept.ts) to `STATE.keys`
 * ({@link writeShardKeys}; format in kept-keys-file.ts), and the merge gives each merged histogram
 * whose rows every shard kept a loader over those files ({@link attachShardKeys}), so its
 * metric's `nextPass` folds the refinement from them (`refineFromKept`) instead of asking for a
 * pass over the inputs. Same plans, same bins, same tie groups: the same bits as one process.
 *
 * What is not covered falls back to reading the inputs, with the same results: a histogram a
 * shard did not keep whole (float64 scores, other than 16 bits a bin, over its budget, rows off
 * the fast path), a shard without a kept-keys file (an older shard, or the file removed).
 *
 * Memory of the merge: each refinement pass loads the keys of just the bins it planned, from every
 * shard — at most the metric's `budgetBytes` (2 bytes a planned row) — and drops them when the
 * next pass loads (a histogram with the same keys, e.g. AP's beside AUC's, takes the last pass's
 * keys when it plans the same bins, instead of reading them again).
 */
import { existsSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../../core/errors.js';
import { densifyKept, keptAll, keptOf, releaseKept, setKept, type KeptRun } from '../metrics/histogram-kept.js';
import { initHistogram, totals, type ScoreHistogramState } from '../metrics/score-histogram.js';
import { isKeptKeysFile, KEPT_KEYS_HOST, writeKeptKeysFile, type GroupedKeys, type KeptKeysRef } from './kept-keys-file.js';
import { KeptKeysFile, type OpenEntry } from './kept-keys-reader.js';
import type { StateFile } from './state-file.js';

/** A score histogram inside a metric state and its path there. */
interface Found {
  readonly path: string;
  readonly state: ScoreHistogramState;
}

function isHistogram(v: object): v is ScoreHistogramState {
  const h = v as Partial<ScoreHistogramState>;
  return (
    h.pos instanceof Float64Array && h.neg instanceof Float64Array && h.refined instanceof Map && typeof h.float32Exact === 'boolean' && typeof h.config?.budgetBytes === 'number'
  );
}

/** The score histograms inside `state`, each with a path of keys (equal in a shard's state and the merged one). */
function histogramsOf(state: unknown): Found[] {
  const out: Found[] = [];
  const seen = new Set<object>();
  const visit = (v: unknown, path: string): void => {
    if (v === null || typeof v !== 'object' || seen.has(v) || ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof SharedArrayBuffer) return;
    seen.add(v);
    if (isHistogram(v)) out.push({ path, state: v });
    else if (v instanceof Map) for (const [k, x] of v) visit(x, `${path}/${typeof k}:${String(k)}`);
    else if (Array.isArray(v)) v.forEach((x, i) => visit(x, `${path}/${i}`));
    else if (!(v instanceof Set)) for (const [k, x] of Object.entries(v)) visit(x, `${path}/${k}`);
  };
  visit(state, '');
  return out;
}

/** Classes of the 16-bit histogram: `bin * 2 + label`. */
const CLASSES = 2 << 16;

/** A histogram's kept runs regrouped by class (each class's keys contiguous). */
function groupRuns(runs: readonly KeptRun[], rows: number): { classes: Int32Array; ends: Uint32Array; keys: Uint16Array } {
  const count = new Float64Array(CLASSES);
  for (const run of runs) {
    let start = 0;
    run.classes.forEach((c, j) => {
      const end = run.ends[j] as number;
      count[c] = (count[c] as number) + end - start;
      start = end;
    });
  }
  const present: number[] = [];
  for (let c = 0; c < CLASSES; c++) if ((count[c] as number) > 0) present.push(c);
  const classes = Int32Array.from(present);
  const ends = new Uint32Array(classes.length);
  const cursor = count; // reused: each class's write position
  let at = 0;
  classes.forEach((c, j) => {
    const n = cursor[c] as number;
    cursor[c] = at;
    at += n;
    ends[j] = at;
  });
  const keys = new Uint16Array(rows);
  for (const run of runs) {
    let start = 0;
    const from = run.keys;
    run.classes.forEach((c, j) => {
      const end = run.ends[j] as number;
      let to = cursor[c] as number;
      // Most segments are a few keys: a loop, rather than a subarray and a set each.
      if (end - start > 64) keys.set(from.subarray(start, end), to);
      else for (let i = start; i < end; i++) keys[to++] = from[i] as number;
      cursor[c] = (cursor[c] as number) + end - start;
      start = end;
    });
  }
  return { classes, ends, keys };
}

/** Whether two histograms kept the same runs (e.g. AUC's and AP's of one score column): their keys are written once. */
function sameRuns(a: readonly KeptRun[], b: readonly KeptRun[]): boolean {
  const bytes = (x: Int32Array | Uint32Array | Uint16Array): Buffer => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  return (
    a.length === b.length &&
    a.every((r, k) => {
      const o = b[k] as KeptRun;
      return r === o || (bytes(r.classes).equals(bytes(o.classes)) && bytes(r.ends).equals(bytes(o.ends)) && bytes(r.keys).equals(bytes(o.keys)));
    })
  );
}

/**
 * Calls `use` with the runs histogram `h` kept, when it kept all its rows (a small one: the runs it
 * would keep when made dense, released after).
 */
function withKeptRuns(h: ScoreHistogramState, use: (runs: readonly KeptRun[], rows: number) => void): void {
  let kept = h;
  if (h.small !== null) {
    kept = initHistogram(h.config);
    kept.small = { scores: h.small.scores.slice(), labels: h.small.labels.slice() };
    densifyKept(kept);
  }
  try {
    const rows = keptOf(kept)?.rows ?? 0;
    if (keptAll(kept) && rows <= 0xffffffff) use(keptOf(kept)?.runs ?? [], rows);
  } finally {
    if (kept !== h) releaseKept(kept);
  }
}

/**
 * Writes the kept keys of a map shard's states (`states[m]` of metric `metrics[m]`) to `target`
 * (STATE.keys) and returns the record for the state header; when no histogram kept all its rows
 * (or none holds a row: an empty share needs no file) writes nothing, removes a kept-keys file of an earlier run at `target`, and
 * returns undefined. `overwrite`: replace a file there that is not a kept-keys file.
 * @throws OutputError naming the target.
 */
export function writeShardKeys(target: string, states: readonly unknown[], metrics: readonly string[], overwrite: boolean): KeptKeysRef | undefined {
  const groups: GroupedKeys[] = [];
  // Runs already grouped: a histogram that kept the same runs shares their grouped keys (one copy in memory and in the file).
  const grouped: { runs: readonly KeptRun[]; group: GroupedKeys }[] = [];
  if (KEPT_KEYS_HOST) {
    states.forEach((s, m) => {
      for (const { path, state } of histogramsOf(s)) {
        withKeptRuns(state, (runs, rows) => {
          const twin = grouped.find((g) => sameRuns(g.runs, runs))?.group;
          const group = { ...(twin ?? groupRuns(runs, rows)), metric: metrics[m] ?? String(m), path };
          if (twin === undefined) grouped.push({ runs, group });
          groups.push(group);
        });
      }
    });
  }
  if (groups.some((g) => g.keys.length > 0)) return writeKeptKeysFile(target, groups, overwrite);
  // This shard's state will name no kept-keys file: one left by an earlier run of it goes.
  if (isKeptKeysFile(target)) rmSync(target, { force: true });
  return undefined;
}

/** Releases the kept rows of every score histogram inside `states` (a map shard's, once written). */
export function releaseShardKeys(states: readonly unknown[]): void {
  for (const s of states) for (const { state } of histogramsOf(s)) releaseKept(state);
}

/** What {@link attachShardKeys} did. */
export interface AttachedKeys {
  /** Merged histograms with rows to refine from. */
  readonly histograms: number;
  /** Those given a loader over every shard's kept-keys file. */
  readonly attached: number;
  /** Why the others were not, in words (one line each). */
  readonly why: readonly string[];
  /** Keys bytes loaded by each refinement pass read from the files (every shard's), in order. */
  readonly passBytes: number[];
  readonly files: readonly KeptKeysFile[];
}

/** The kept-keys files of the shards, opened (none for a shard of no rows); or the reason there are none. */
function openShardKeys(shards: readonly StateFile[]): KeptKeysFile[] | string {
  if (!KEPT_KEYS_HOST) return 'this host is big-endian';
  const files: KeptKeysFile[] = [];
  for (const s of shards) {
    const ref = s.header.keys as Partial<KeptKeysRef> | undefined;
    const at = `shard ${s.header.shard.index}/${s.header.shard.count}`;
    if (ref === undefined && s.header.rows === 0) continue;
    if (ref === undefined) return `${at} (${s.file}) kept no keys (float64 scores, over its budget, or written by an older fuseflow)`;
    if (typeof ref.file !== 'string' || typeof ref.bytes !== 'number' || typeof ref.sha256 !== 'string' || typeof ref.entries !== 'number')
      throw new InputError('the state file records its kept-keys file without name, size or checksum', { file: s.file });
    if (basename(ref.file) !== ref.file || ref.file === '..') throw new InputError(`the state file names its kept-keys file '${ref.file}' outside its folder`, { file: s.file });
    const path = join(dirname(s.file), ref.file);
    if (!existsSync(path)) return `${at}'s kept-keys file ${path} is missing`;
    files.push(new KeptKeysFile(path, ref as KeptKeysRef, s.file));
  }
  return files;
}

/**
 * Gives each merged score histogram (`merged[m]`, metric `metrics[m]`) whose rows every shard kept
 * a loader over the shards' kept-keys files, so its refinement is folded from them; the others
 * are left as they are (their metrics read the inputs).
 * @throws InputError naming the file: a kept-keys file that is not the one its state recorded, or
 *   whose rows differ from the merged counts.
 */
export function attachShardKeys(shards: readonly StateFile[], metrics: readonly string[], merged: readonly unknown[]): AttachedKeys {
  const found = merged.flatMap((s, m) => histogramsOf(s).map((f) => ({ ...f, metric: metrics[m] ?? String(m) })));
  const open = found.filter((f) => f.state.small === null);
  const passBytes: number[] = [];
  const result = { histograms: open.length, attached: 0, why: [] as string[], passBytes, files: [] as KeptKeysFile[] };
  if (open.length === 0) return result;
  const files = openShardKeys(shards);
  if (typeof files === 'string') return { ...result, why: [files] };
  // The runs of the last pass loaded: a histogram with the same keys in every file (AUC's and AP's of one score) plans the same bins, and takes them without reading again.
  let last: { at: string; bins: Int32Array; runs: readonly KeptRun[] } | undefined;
  const load = (entries: readonly OpenEntry[], bins: Int32Array): readonly KeptRun[] => {
    const at = entries.map((e) => `${e.at}+${e.rows}`).join();
    if (last !== undefined && last.at === at && last.bins.length === bins.length && last.bins.every((b, j) => b === bins[j])) return last.runs;
    last = undefined;
    const runs = files.map((file, k) => file.read(entries[k] as OpenEntry, bins));
    passBytes.push(runs.reduce((a, r) => a + r.keys.byteLength, 0));
    last = { at, bins: bins.slice(), runs };
    return runs;
  };
  for (const f of open) {
    const name = `${f.metric}${f.path}`;
    const entries = files.map((file) => file.entries.find((e) => e.metric === f.metric && e.path === f.path));
    const lacking = entries.findIndex((e) => e === undefined);
    if (lacking >= 0) {
      result.why.push(`${name}: ${files[lacking]?.path ?? ''} does not hold its keys (that shard did not keep all its rows)`);
      continue;
    }
    const rows = entries.reduce((a, e) => a + (e as OpenEntry).rows, 0);
    const { P, N } = totals(f.state);
    if (!f.state.float32Exact) {
      result.why.push(`${name}: its merged scores are not all float32`);
      continue;
    }
    if (rows !== P + N)
      throw new InputError(`the shards' kept keys of ${name} hold ${rows} rows, their merged states count ${P + N}; rerun the shards`, { file: files[0]?.path ?? '' });
    // The merge of small states may have kept theirs: every row now comes from the files.
    releaseKept(f.state);
    setKept(f.state, {
      runs: [],
      rows,
      kib: 0,
      dropped: false,
      load: (bins) => load(entries as OpenEntry[], bins),
    });
    result.attached++;
  }
  return { ...result, files };
}
