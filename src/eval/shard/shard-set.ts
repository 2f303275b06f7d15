/**
 * The reduce step of a map/merge evaluation: checks that state files are the shards of one run
 * (same format, metric set, arguments and input files; every index 0..N-1 exactly once) and
 * merges their states in shard order. Merging is exact for every metric state (integer counts,
 * exact float sums, sorted rows), so the order the files are given in does not matter; shard
 * order is used anyway, so the merge tree is fixed.
 */
import { InputError } from '../../core/errors.js';
import type { Metric } from '../metric.js';
import type { StateFile } from './state-file.js';

/** Shards of one run, checked and in index order. */
export interface ShardSet {
  /** The state files, by shard index. */
  readonly shards: readonly StateFile[];
  /** The run record they share. */
  readonly run: unknown;
  readonly metrics: readonly string[];
  /** Rows over all shards. */
  readonly rows: number;
}

/**
 * Checks that `files` are all the shards of one run.
 * @throws InputError naming the files: none given, a shard of another run (arguments, metric set,
 *   input files, shard count), a shard given twice, or missing shards (listed).
 */
export function checkShardSet(files: readonly StateFile[]): ShardSet {
  const first = files[0];
  if (first === undefined) throw new InputError('no state files to merge');
  const run = JSON.stringify(first.header.run);
  const metrics = JSON.stringify(first.header.metrics);
  const count = first.header.shard.count;
  const byIndex = new Map<number, StateFile>();
  for (const f of files) {
    const h = f.header;
    if (JSON.stringify(h.metrics) !== metrics)
      throw new InputError(`metric set (${h.metrics.join(', ')}) differs from that of ${first.file} (${first.header.metrics.join(', ')}); merge only the shards of one run`, {
        file: f.file,
      });
    if (h.shard.count !== count)
      throw new InputError(`is shard ${h.shard.index} of ${h.shard.count}, but ${first.file} is one of ${count}; merge only the shards of one run`, { file: f.file });
    if (JSON.stringify(h.run) !== run)
      throw new InputError(
        `was written by another run than ${first.file}: ${runDifference(first.header.run, h.run)}; merge only the shards of one run (and do not change the inputs while it runs)`,
        {
          file: f.file,
        },
      );
    const seen = byIndex.get(h.shard.index);
    if (seen !== undefined) throw new InputError(`shard ${h.shard.index}/${count} is given twice: ${seen.file} and ${f.file}`, { file: f.file });
    byIndex.set(h.shard.index, f);
  }
  const missing: number[] = [];
  for (let i = 0; i < count; i++) if (!byIndex.has(i)) missing.push(i);
  if (missing.length > 0) {
    const shown = missing.length > 20 ? `${missing.slice(0, 20).join(', ')}, … (${missing.length} in all)` : missing.join(', ');
    throw new InputError(`${missing.length} of ${count} shards missing: ${shown} (of the run of ${first.file}); run them, then merge all ${count}`);
  }
  const shards = [...byIndex.keys()].sort((a, b) => a - b).map((i) => byIndex.get(i) as StateFile);
  return { shards, run: first.header.run, metrics: first.header.metrics, rows: shards.reduce((a, s) => a + s.header.rows, 0) };
}

/** Merges the shards' states metric by metric, in shard order. */
export function mergeShardStates(set: ShardSet, metrics: readonly { readonly name: string; readonly metric: Metric }[]): unknown[] {
  const names = metrics.map((m) => m.name);
  if (JSON.stringify(names) !== JSON.stringify(set.metrics))
    throw new InputError(`the state files hold metrics ${set.metrics.join(', ')} but their recorded arguments give ${names.join(', ')} (written by another fuseflow version?)`, {
      file: set.shards[0]?.file ?? '',
    });
  return metrics.map(({ metric }, m) => {
    let acc: unknown = undefined;
    set.shards.forEach((s, k) => {
      acc = k === 0 ? s.states[m] : metric.merge(acc, s.states[m]);
    });
    return acc;
  });
}

/** The first top-level key path where two run records differ, in words. */
export function runDifference(a: unknown, b: unknown, path = ''): string {
  if (JSON.stringify(a) === JSON.stringify(b)) return 'no difference';
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return `${path || 'record'}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  for (const k of keys) {
    const x = (a as Record<string, unknown>)[k];
    const y = (b as Record<string, unknown>)[k];
    if (JSON.stringify(x) !== JSON.stringify(y)) return runDifference(x, y, path === '' ? k : `${path}.${k}`);
  }
  return path;
}
