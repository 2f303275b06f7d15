/**
 * `fuseflow cache status|verify|delete DIR`: inspect, check or remove static caches. DIR is a
 * cache folder (`<root>/<cacheKey>`, holding `pipeline.json` and `cache.mdb`, or a committed
 * sharded cache) or a root holding several (`status` also takes a sharded cache's `s3://` location); `delete` takes a single cache folder only and removes
 * only the files its marker lists. `fill|commit|pull` (the sharded cache) live in cache-shards.ts.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { deleteCacheFolder } from '../../cache/delete-cache.js';
import { deleteShardedCache } from '../../cache/sharded/delete-sharded.js';
import { openCacheFolder, readDescription } from '../../cache/open-cache.js';
import { CACHE_FILES } from '../../cache/cache-files.js';
import { InputError } from '../../core/errors.js';
import { readCommitRecord, readPlan, shardFolder, SHARDED_FILES } from '../../cache/sharded/shard-files.js';
import { shardRanges } from '../../cache/sharded/commit-shards.js';
import { isS3Url } from '../../cache/sharded/shared-location.js';
import { runShardCommand, SHARD_HELP } from './cache-shards.js';

const HELP = `usage: fuseflow cache <status|verify|delete> DIR [options]
       fuseflow cache <fill|commit|pull> … (a sharded cache, filled by many processes)

  status DIR             entries, outputs, dropped samples, payload size and ops of each cache
  status s3://BUCKET/PREFIX [--s3-endpoint URL]
                         the same for a sharded cache on S3, from its small objects (listing,
                         shard.json, committed.json, manifest): shards complete, missing or
                         damaged, committed or not; no payload is downloaded
  verify DIR             check every entry's checksum (metadata and payloads), its commit
                         fingerprint and whether the files it was computed from changed
         --recompute     also rerun the static pipeline per sample and name the op that changed
         --ops-module FILE
                         a module defining the pipeline's user ops (repeat for several); the
                         modules pipeline.json names are never imported
  delete DIR --yes       remove one cache: only the files its marker (.fuseflow-cache.json) lists,
                         then the folder if nothing else is in it (a sharded cache: each shard
                         folder by its own marker, then the top level)

${SHARD_HELP}

DIR is a cache folder (<root>/<key>, or a sharded cache's SHARED_DIR) or a root that holds cache folders.
exit codes: 0 ok, 1 problems found or bad input, 2 usage`;

function isCacheFolder(dir: string): boolean {
  return existsSync(join(dir, CACHE_FILES.pipeline)) && (existsSync(join(dir, CACHE_FILES.store)) || existsSync(join(dir, SHARDED_FILES.plan)));
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false; // a dangling link or a vanished entry
  }
}

/** The cache folders at or directly under `dir`. */
function cacheFolders(dir: string): string[] {
  if (!isFolder(dir)) throw new InputError('no such folder (or a dangling symbolic link)', { file: dir });
  if (isCacheFolder(dir)) return [dir];
  const found = readdirSync(dir)
    .map((name) => join(dir, name))
    .filter((p) => isFolder(p) && isCacheFolder(p))
    .sort();
  if (found.length === 0) throw new InputError('not a fuseflow cache folder and holds none', { file: dir });
  return found;
}

/** The shard count of a sharded cache folder, or 'none (one LMDB environment)'. */
function shardsLine(folder: string): string {
  const plan = readPlan(folder);
  return plan === undefined ? 'none (one LMDB environment)' : `${plan.shards} (committed; read as one cache)`;
}

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(2)} MiB`;

/** Prints where an uncommitted sharded cache stands (shards published of N, the missing ones); false when `folder` is not one. */
function uncommittedStatus(folder: string): boolean {
  const plan = readPlan(folder);
  if (plan === undefined || readCommitRecord(folder, plan) !== undefined) return false;
  const missing: number[] = [];
  for (let i = 0; i < plan.shards; i++) if (!existsSync(join(shardFolder(folder, i, plan.shards), SHARDED_FILES.record))) missing.push(i);
  const list = missing.length <= 20 ? missing.join(', ') : `${missing.slice(0, 20).join(', ')}, …`;
  console.log(`${folder}
  key        ${plan.key}
  shards     ${plan.shards - missing.length} of ${plan.shards} published, not committed${missing.length > 0 ? ` (missing: ${list})` : ' (run fuseflow cache commit)'}`);
  return true;
}

/** `cache status s3://…`: the same report from the objects (s3-status.ts; the AWS SDK is loaded only here). */
async function statusS3(location: string, endpoint: string | undefined): Promise<number> {
  const { statusShardsS3 } = await import('../../cache/sharded/s3-status.js');
  const s = await statusShardsS3(location, endpoint === undefined ? {} : { endpoint });
  const desc = s.description;
  const shards =
    s.committed === 'committed'
      ? `${s.shards} (committed; to read it: fuseflow cache pull ${s.location} --to LOCAL_DIR)`
      : `${s.complete} of ${s.shards} published, ${s.committed === 'no' ? 'not committed' : s.committed === 'stale' ? 'committed, but a shard changed or was damaged since (fix it, then run fuseflow cache commit again)' : 'the commit did not finish (run fuseflow cache commit again)'}${
          s.missing.length > 0 ? ` (missing: ${shardRanges(s.missing)})` : s.committed === 'no' && s.damaged.length === 0 ? ' (run fuseflow cache commit)' : ''
        }`;
  const lines = [
    s.location,
    `  key        ${s.key}`,
    ...(desc === undefined ? [] : [`  salt       ${JSON.stringify(desc.salt)}`, `  created    ${desc.createdAt}`]),
    `  shards     ${shards}`,
    ...s.damaged.map((d) => `  damaged    shard ${d.index}: ${d.problem}`),
    ...(desc === undefined ? [] : [`  ops        ${desc.spec.ops.map((o) => `${o.name}@${o.version}`).join(' → ')}`]),
    s.manifest === undefined
      ? `  entries    ${s.entries} initial ids${s.committed === 'committed' ? '' : ' in the published shards'}`
      : `  entries    ${s.entries} initial ids (${s.manifest.dropped} dropped)`,
    `  outputs    ${s.outputs} samples${s.manifest === undefined ? '' : `, ${mib(s.manifest.payloadBytes)} of payload`}`,
    `  objects    ${s.objects} under shards/, ${mib(s.bytes)} (sizes from the listing; no payload downloaded)`,
    `  manifest   ${s.manifest === undefined ? 'absent (written by fuseflow cache commit)' : `${CACHE_FILES.manifest} (${s.manifest.rows} rows)`}`,
  ];
  console.log(lines.join('\n'));
  return 0;
}

async function status(dir: string): Promise<number> {
  for (const folder of cacheFolders(dir)) {
    if (uncommittedStatus(folder)) continue;
    const desc = readDescription(folder);
    const cache = await openCacheFolder(folder);
    try {
      const s = cache.status();
      console.log(`${folder}
  key        ${s.key}
  salt       ${JSON.stringify(desc.salt)}
  created    ${desc.createdAt}
  shards     ${shardsLine(folder)}
  ops        ${desc.spec.ops.map((o) => `${o.name}@${o.version}`).join(' → ')}
  entries    ${s.entries} initial ids (${s.dropped} dropped)
  outputs    ${s.outputs} samples, ${mib(s.payloadBytes)} of payload
  manifest   ${existsSync(join(folder, CACHE_FILES.manifest)) ? CACHE_FILES.manifest : 'absent (written when a fill ends)'}`);
    } finally {
      await cache.close();
    }
  }
  return 0;
}

async function verify(dir: string, recompute: boolean, opsModules: readonly string[]): Promise<number> {
  let bad = 0;
  for (const folder of cacheFolders(dir)) {
    const cache = await openCacheFolder(folder, { opsModules });
    try {
      let n = 0;
      const problems = await cache.verify({ recompute, onEntry: () => void n++ });
      for (const p of problems) console.log(`${p.kind}\t${JSON.stringify(p.initialId)}\t${p.message}`);
      console.log(`${folder}: ${n} entries checked${recompute ? ' (recomputed)' : ''}, ${problems.length} problem(s)`);
      bad += problems.length;
    } finally {
      await cache.close();
    }
  }
  return bad === 0 ? 0 : 1;
}

function remove(dir: string, yes: boolean): number {
  if (!yes) {
    console.error(`fuseflow cache delete: pass --yes to remove the cache at ${dir}`);
    return 2;
  }
  const sharded = isFolder(dir) && readPlan(dir) !== undefined ? deleteShardedCache(dir) : undefined;
  const r = sharded ?? deleteCacheFolder(dir);
  if (sharded !== undefined) {
    console.log(`deleted ${sharded.shardsRemoved} shard folders under ${sharded.folder}`);
    for (const k of sharded.shardsKept) console.log(`kept ${k}: no marker, or it also holds files not made by the cache`);
  }
  console.log(`deleted ${r.removed.join(', ')} from ${r.folder}`);
  if (r.folderRemoved) console.log(`removed the empty folder ${r.folder}`);
  else console.log(`kept ${r.folder}: it also holds ${r.kept.join(', ')} (not made by the cache)`);
  return 0;
}

/** Parsed arguments: positionals, boolean flags, and the values of repeatable `--ops-module`. */
interface Parsed {
  readonly positional: readonly string[];
  readonly flags: ReadonlySet<string>;
  readonly opsModules: readonly string[];
  /** `--s3-endpoint URL` (status of an `s3://` location only). */
  readonly s3Endpoint?: string;
  readonly error?: string;
}

function parse(args: readonly string[]): Parsed {
  const positional: string[] = [];
  const flags = new Set<string>();
  const opsModules: string[] = [];
  let s3Endpoint: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--ops-module') {
      const value = args[++i];
      if (value === undefined || value.startsWith('--')) return { positional, flags, opsModules, error: '--ops-module needs a FILE' };
      opsModules.push(value);
    } else if (a === '--s3-endpoint' || a.startsWith('--s3-endpoint=')) {
      const value = a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[++i];
      if (value === undefined || value === '' || value.startsWith('--') || s3Endpoint !== undefined) return { positional, flags, opsModules, error: '--s3-endpoint needs one URL' };
      s3Endpoint = value;
    } else if (a.startsWith('--')) flags.add(a);
    else positional.push(a);
  }
  return { positional, flags, opsModules, ...(s3Endpoint === undefined ? {} : { s3Endpoint }) };
}

/** Entry point of `fuseflow cache`. */
export async function run(args: readonly string[]): Promise<number> {
  const [sub, ...rest] = args;
  if ((sub === 'fill' || sub === 'commit' || sub === 'pull') && !rest.includes('--help') && !rest.includes('-h')) return runShardCommand(sub, rest);
  const { positional, flags, opsModules, s3Endpoint, error } = parse(rest);
  const [dir, ...extra] = positional;
  if (sub === undefined || sub === '--help' || sub === '-h' || flags.has('--help')) {
    console.log(HELP);
    return sub === undefined ? 2 : 0;
  }
  const known: Record<string, readonly string[]> = { status: [], verify: ['--recompute'], delete: ['--yes'] };
  const allowed = known[sub];
  if (
    error !== undefined ||
    allowed === undefined ||
    dir === undefined ||
    extra.length > 0 ||
    [...flags].some((f) => !allowed.includes(f)) ||
    (opsModules.length > 0 && sub !== 'verify')
  ) {
    if (error !== undefined) console.error(`fuseflow cache: ${error}`);
    console.error(HELP);
    return 2;
  }
  if (s3Endpoint !== undefined && !(sub === 'status' && isS3Url(dir))) {
    console.error(`fuseflow cache: --s3-endpoint goes with cache status s3://BUCKET/PREFIX\n${HELP}`);
    return 2;
  }
  if (sub === 'status' && isS3Url(dir)) return statusS3(dir, s3Endpoint);
  if (isS3Url(dir)) {
    console.error(`fuseflow cache ${sub}: ${dir}: not for an s3:// location; pull it to local disk first (fuseflow cache pull ${dir} --to LOCAL_DIR), then ${sub} LOCAL_DIR`);
    return 2;
  }
  if (sub === 'status') return status(dir);
  if (sub === 'verify') return verify(dir, flags.has('--recompute'), opsModules);
  return remove(dir, flags.has('--yes'));
}
