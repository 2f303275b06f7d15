/**
 * `cache commit`: checks that every shard 0..N-1 of a sharded cache is published and complete,
 * then writes `committed.json` and, last, the combined manifest (atomically, digest file last),
 * rebuilt from the shard manifests with the builder a single cache uses — so its rows, order and
 * column types equal those of the same ids filled as one cache. Idempotent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../../core/errors.js';
import { writeFileAtomic } from '../../core/safe-fs.js';
import { CACHE_FILES } from '../cache-files.js';
import { buildManifest, readManifest, writeManifest } from '../manifest.js';
import { manifestEntries, type ManifestEntry } from './manifest-entries.js';
import { shardName, shardOfId } from './shard-assign.js';
import { readCommitRecord, readPlan, readShardRecord, shardFilesProblem, shardFolder, SHARDED_FILES, type CommitRecord, type ShardPlan } from './shard-files.js';
import { sha256Hex } from '../sha256.js';

/** What {@link commitShards} did. */
export interface CommitReport {
  readonly folder: string;
  readonly shards: number;
  /** Initial ids over all shards. */
  readonly entries: number;
  /** Rows of the combined manifest. */
  readonly rows: number;
  /** `committed` now, or `already-committed` (nothing written). */
  readonly outcome: 'committed' | 'already-committed';
}

/**
 * The plan of the sharded cache at `dir`.
 * @throws {InputError} naming `dir` when it is not a sharded cache.
 */
export function requirePlan(dir: string): ShardPlan {
  const plan = readPlan(dir);
  if (plan === undefined) throw new InputError(`not a sharded cache (no ${SHARDED_FILES.plan}); fill one with fuseflow cache fill MODULE --shards N --to DIR`, { file: dir });
  return plan;
}

/** Shard indices as ranges, e.g. `0-3, 7, 9-11` (at most 20 ranges, then a count). */
export function shardRanges(indices: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < indices.length;) {
    let j = i;
    while (j + 1 < indices.length && indices[j + 1] === (indices[j] as number) + 1) j++;
    parts.push(i === j ? `${indices[i]}` : `${indices[i]}-${indices[j]}`);
    i = j + 1;
  }
  return parts.length <= 20 ? parts.join(', ') : `${parts.slice(0, 20).join(', ')} and ${parts.length - 20} more ranges`;
}

/** Reads a shard's records and manifest entries, or the reason it is not complete. */
/** One shard as commit reads it: its manifest entries, record digest and entry count; why it is incomplete; or undefined when it is not published. */
export type ShardRead = { entries: ManifestEntry[]; digest: string; count: number } | { problem: string } | undefined;

/**
 * The shards read for a commit (index order), gathered: every manifest entry, each shard's entry
 * count and record digest, and their total.
 * @throws {InputError} naming `where` when a shard is missing (the fill command names `to`) or damaged (the first 20 listed).
 */
export function gatherShards(
  plan: ShardPlan,
  shards: readonly ShardRead[],
  where: string,
  to: string,
): { all: ManifestEntry[]; entries: number[]; records: string[]; total: number } {
  const missing: number[] = [];
  const bad: string[] = [];
  const all: ManifestEntry[] = [];
  const entries: number[] = [];
  const records: string[] = [];
  for (const [i, shard] of shards.entries()) {
    if (shard === undefined) missing.push(i);
    else if ('problem' in shard) bad.push(`shard ${shardName(i, plan.shards)}: ${shard.problem}`);
    else {
      for (const e of shard.entries) all.push(e);
      entries.push(shard.count);
      records.push(shard.digest);
    }
  }
  if (missing.length > 0 || bad.length > 0) {
    const lines = [
      ...(missing.length > 0
        ? [
            `${missing.length} of ${plan.shards} shards are not published: ${shardRanges(missing)} (fill them: fuseflow cache fill MODULE --shards ${plan.shards} --index I --to ${to})`,
          ]
        : []),
      ...bad.slice(0, 20),
      ...(bad.length > 20 ? [`and ${bad.length - 20} more damaged shards`] : []),
    ];
    throw new InputError(`cannot commit:\n  ${lines.join('\n  ')}`, { file: where });
  }
  return { all, entries, records, total: entries.reduce((a, b) => a + b, 0) };
}

function readShard(dir: string, plan: ShardPlan, index: number): ShardRead {
  const folder = shardFolder(dir, index, plan.shards);
  let record;
  try {
    record = readShardRecord(folder, { key: plan.key, index, shards: plan.shards });
  } catch (err) {
    return { problem: (err as Error).message };
  }
  if (record === undefined) return undefined;
  const problem = shardFilesProblem(folder, record, false);
  if (problem !== undefined) return { problem };
  const digest = sha256Hex(readFileSync(join(folder, SHARDED_FILES.record)));
  if (record.entries === 0) return { entries: [], digest, count: 0 };
  const path = join(folder, CACHE_FILES.manifest);
  let entries: ManifestEntry[];
  try {
    entries = manifestEntries(readManifest(path), path);
  } catch (err) {
    return { problem: (err as Error).message };
  }
  if (entries.length !== record.entries) return { problem: `${path} lists ${entries.length} initial ids, ${SHARDED_FILES.record} says ${record.entries}` };
  const stray = entries.find((e) => shardOfId(e.initialId, plan.shards) !== index);
  if (stray !== undefined) return { problem: `${path} lists '${stray.initialId}', which belongs to shard ${shardOfId(stray.initialId, plan.shards)}` };
  return { entries, digest, count: entries.length };
}

/** True when `dir` is committed with exactly these shard records and its manifest reads back. */
function alreadyCommitted(dir: string, plan: ShardPlan, records: readonly string[]): boolean {
  let commit: CommitRecord | undefined;
  try {
    commit = readCommitRecord(dir, plan);
    if (commit === undefined || !existsSync(join(dir, CACHE_FILES.manifest))) return false;
    readManifest(join(dir, CACHE_FILES.manifest));
  } catch {
    return false;
  }
  return commit.records.every((r, i) => r === records[i]);
}

/**
 * Commits the sharded cache at `dir` (see the module comment).
 * @example const r = commitShards('/shared/cache'); // r.outcome === 'committed'
 * @throws {InputError} naming the folder: not a sharded cache, or shards missing (listed as index
 *   ranges) or damaged (each named with its problem); nothing is written then.
 * @throws {OutputError} naming the file that cannot be written.
 */
export function commitShards(dir: string): CommitReport {
  const folder = resolve(dir);
  const plan = requirePlan(folder);
  const shards = Array.from({ length: plan.shards }, (_, i) => readShard(folder, plan, i));
  const { all, entries, records, total } = gatherShards(plan, shards, folder, 'DIR');
  if (alreadyCommitted(folder, plan, records)) {
    return { folder, shards: plan.shards, entries: total, rows: readManifest(join(folder, CACHE_FILES.manifest)).numRows, outcome: 'already-committed' };
  }
  const commit: CommitRecord = { kind: 'fuseflow-sharded-commit', key: plan.key, shards: plan.shards, entries, records };
  writeFileAtomic(join(folder, SHARDED_FILES.committed), `${JSON.stringify(commit)}\n`, { overwrite: true });
  const table = buildManifest(all);
  writeManifest(join(folder, CACHE_FILES.manifest), table);
  return { folder, shards: plan.shards, entries: total, rows: table.numRows, outcome: 'committed' };
}
