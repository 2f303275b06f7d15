/**
 * Which part of a set of prediction files one shard of a map/merge evaluation reads: a pure
 * function of the sorted file list, the shard index and the shard count. With at least as many
 * files as shards, shard i gets files ⌊i·F/N⌋ to ⌊(i+1)·F/N⌋ − 1; with fewer files, the units
 * are the Arrow record batches of all files in order (a CSV file is one unit) and shard i gets
 * units ⌊i·U/N⌋ to ⌊(i+1)·U/N⌋ − 1. Every row belongs to exactly one shard; a shard may get
 * nothing (more shards than units) and then contributes empty states.
 */
import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import { InputError, OptionsError } from '../../core/errors.js';
import { checkArrowIpc } from '../sources/arrow-ipc-check.js';
import type { FilePart } from '../sources/file-set-source.js';

/** One shard among `count`. */
export interface ShardIndex {
  /** 0-based, below `count`. */
  readonly index: number;
  readonly count: number;
}

/** Most shards a run may have. */
export const MAX_SHARDS = 1 << 20;

/**
 * Reads `i/N` (e.g. `3/16`).
 * @throws OptionsError unless both are whole numbers with 0 <= i < N <= {@link MAX_SHARDS}.
 */
export function parseShard(text: string, flag = '--shard'): ShardIndex {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (m === null || !(count >= 1 && count <= MAX_SHARDS && index < count))
    throw new OptionsError(`${flag} must be i/N with 0 <= i < N <= ${MAX_SHARDS} (shard i of N, counted from 0), got '${text}'`);
  return { index, count };
}

/**
 * The part of `units` (units per file, in file order) shard `shard` reads: whole files when there
 * are at least as many files as shards, else ranges of units. Pure.
 *
 * @example
 * shareOfUnits(['a', 'b', 'c', 'd'], [1, 1, 1, 1], { index: 1, count: 2 }); // [{ path: 'c' }, { path: 'd' }]
 * shareOfUnits(['a'], [4], { index: 1, count: 2 }); // [{ path: 'a', recordBatches: { start: 2, end: 4 } }]
 */
export function shareOfUnits(files: readonly string[], units: readonly number[], shard: ShardIndex): FilePart[] {
  const { index, count } = shard;
  if (files.length >= count) {
    const from = Math.floor((index * files.length) / count);
    const to = Math.floor(((index + 1) * files.length) / count);
    return files.slice(from, to).map((path) => ({ path }));
  }
  const total = units.reduce((a, b) => a + b, 0);
  const from = Math.floor((index * total) / count);
  const to = Math.floor(((index + 1) * total) / count);
  const parts: FilePart[] = [];
  let at = 0;
  files.forEach((path, f) => {
    const n = units[f] ?? 1;
    const start = Math.max(from, at) - at;
    const end = Math.min(to, at + n) - at;
    at += n;
    if (end <= start) return;
    parts.push(start === 0 && end === n ? { path } : { path, recordBatches: { start, end } });
  });
  return parts;
}

/**
 * The part of the sorted `files` shard `shard` reads (reads the Arrow files' record batch counts
 * when there are fewer files than shards).
 * @throws InputError naming an Arrow file that cannot be read.
 */
export async function shardShare(files: readonly string[], shard: ShardIndex): Promise<FilePart[]> {
  const units = files.length >= shard.count ? files.map(() => 1) : await Promise.all(files.map(recordBatchCount));
  return shareOfUnits(files, units, shard);
}

/** Record batches of an Arrow file (1 for any other file: it is not split). */
export async function recordBatchCount(file: string): Promise<number> {
  if (!['.arrow', '.arrows', '.feather', '.ipc'].includes(extname(file).toLowerCase())) return 1;
  const handle = await open(file, 'r').catch((err: unknown) => {
    throw new InputError(`cannot open: ${err instanceof Error ? err.message : String(err)}`, { file });
  });
  try {
    return (await checkArrowIpc(handle, (await handle.stat()).size, file)).batches.length;
  } finally {
    await handle.close();
  }
}
